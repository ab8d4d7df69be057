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
 * The audience's current run, started afresh unless both its epoch and its counter are there: a
 * Redis that lost its data (a flush, a restart without persistence, an eviction of either key)
 * must never count on from 1 under an epoch clients already know. The old stream goes with it,
 * so no envelope of another run is ever replayed. Shared by both scripts, so a snapshot that
 * comes first starts the same epoch the next emit continues.
 * KEYS: seq counter, stream, epoch. `candidate` is a fresh epoch the caller made up.
 */
const CURRENT_RUN = `
local function current_run(candidate)
  local epoch = redis.call('GET', KEYS[3])
  local seq = redis.call('GET', KEYS[1])
  if epoch and seq then return epoch, tonumber(seq) end
  redis.call('SET', KEYS[3], candidate)
  redis.call('SET', KEYS[1], 0)
  redis.call('DEL', KEYS[2])
  return candidate, 0
end
`;

/**
 * KEYS: seq counter, stream, epoch. ARGV: retain, envelope head, envelope tail, channel, candidate epoch.
 * One script, so two instances emitting at once can never interleave between INCR and XADD.
 * The stream id is `<seq>-0`, which lets replay ask XRANGE for "everything after seq N".
 * Published as `<epoch>:<seq>\n<data>`.
 */
export const EMIT_SCRIPT = script(`${CURRENT_RUN}
local epoch = current_run(ARGV[5])
local seq = redis.call('INCR', KEYS[1])
local data = ARGV[2] .. seq .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], seq .. '-0', 'd', data)
redis.call('PUBLISH', ARGV[4], epoch .. ':' .. seq .. '\\n' .. data)
return seq
`);

/**
 * KEYS: seq counter, stream, epoch. ARGV: the epoch and seq to resume after ('' and '' for none),
 * candidate epoch. Returns {epoch, lastSeq} or {epoch, lastSeq, held(0|1), data...}; read in one
 * step so nothing slips between.
 */
export const SNAPSHOT_SCRIPT = script(`${CURRENT_RUN}
local epoch, last = current_run(ARGV[3])
if ARGV[2] == '' then return {epoch, last} end
if ARGV[1] ~= epoch then return {epoch, last, 0} end
local after = tonumber(ARGV[2])
if after >= last then return {epoch, last, 1} end
local entries = redis.call('XRANGE', KEYS[2], (after + 1) .. '-0', '+')
if #entries ~= last - after then return {epoch, last, 0} end
local out = {epoch, last, 1}
for i, entry in ipairs(entries) do out[i + 3] = entry[2][2] end
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
