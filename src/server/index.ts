// verity-xstate/server: the directive hub.
export {};
