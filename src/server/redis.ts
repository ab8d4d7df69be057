// verity-xstate/server/redis: the Redis backplane, so several hub instances share one sequence per audience.
export { type RedisBackplaneOptions, redisBackplane } from './redis-backplane';
