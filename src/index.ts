// verity-xstate: the public door of the client core.
export {};
