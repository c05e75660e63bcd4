import { redisKeys, type RedisConnection } from './redis.ts';

/**
 * The execution lease of an environment: at most one deployment holds it. The value
 * is `<deploymentId>:<token>`. The lease says which deployment may run in the environment;
 * which worker executes it is fenced in Postgres (src/store/fence.ts). A holder that stops
 * renewing (claiming again) loses the lease after `ttlMs`.
 */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if not current then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
  return token
end
local sep = string.find(current, ':', 1, true)
if sep and string.sub(current, 1, sep - 1) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(current, sep + 1))
end
return false`;

const RELEASE = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local sep = string.find(current, ':', 1, true)
if sep and string.sub(current, 1, sep - 1) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface LeaseHandle {
  token: number;
  value: string;
}

export function createEnvironmentLease(redis: RedisConnection, prefix: string, ttlMs: number) {
  const keys = redisKeys(prefix);
  return {
    ttlMs,
    /** Takes the lease for a deployment, or confirms it already holds it; null when another holds it. */
    async claim(app: string, env: string, deploymentId: number): Promise<LeaseHandle | null> {
      const token = (await redis.eval(CLAIM, 2, keys.lease(app, env), keys.fence(app, env), String(deploymentId), String(ttlMs))) as
        | number
        | null;
      if (token === null || token === undefined) return null;
      return { token: Number(token), value: `${deploymentId}:${token}` };
    },
    /** Frees the environment if this deployment holds it (whatever token it was re-taken with). */
    async release(app: string, env: string, deploymentId: number): Promise<void> {
      await redis.eval(RELEASE, 1, keys.lease(app, env), String(deploymentId));
    },
    async holder(app: string, env: string): Promise<number | null> {
      const value = await redis.get(keys.lease(app, env));
      return value ? Number(value.split(':')[0]) : null;
    },
  };
}

export type EnvironmentLease = ReturnType<typeof createEnvironmentLease>;
