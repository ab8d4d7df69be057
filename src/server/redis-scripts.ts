// The Lua scripts that make seq allocation, storage and fan-out one atomic step on Redis.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * KEYS: seq counter, stream. ARGV: retain, envelope head, envelope tail, channel.
 * One script, so two instances emitting at once can never interleave between INCR and XADD.
 * The stream id is `<seq>-0`, which lets replay ask XRANGE for "everything after seq N".
 */
export const EMIT_SCRIPT = script(`
local seq = redis.call('INCR', KEYS[1])
local data = ARGV[2] .. seq .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], seq .. '-0', 'd', data)
redis.call('PUBLISH', ARGV[4], seq .. '\\n' .. data)
return seq
`);

/**
 * KEYS: seq counter, stream. ARGV: the seq to resume after, or '' for none.
 * Returns {lastSeq} or {lastSeq, held(0|1), data...}; read in one step so nothing slips between.
 */
export const SNAPSHOT_SCRIPT = script(`
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] == '' then return {last} end
local after = tonumber(ARGV[1])
if after >= last then return {last, 1} end
local entries = redis.call('XRANGE', KEYS[2], (after + 1) .. '-0', '+')
if #entries ~= last - after then return {last, 0} end
local out = {last, 1}
for i, entry in ipairs(entries) do out[i + 2] = entry[2][2] end
return out
`);

/** EVALSHA first; the script text goes over the wire only when Redis does not know it (e.g. after a restart). */
export async function runScript(
  redis: Redis,
  { lua, sha }: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await redis.eval(lua, keys.length, ...keys, ...args);
  }
}
