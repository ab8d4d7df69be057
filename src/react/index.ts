// verity-xstate/react: React bindings (not built yet; the entry point is reserved).
export {};
