// verity-xstate/server/redis: the Redis backplane.
export {};
