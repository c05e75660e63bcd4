import { redisKeys, type RedisConnection } from './redis.ts';

/**
 * The execution lease of an environment: at most one deployment holds it. The value
 * is `<deploymentId>:<token>`. The lease says which deployment may run in the environment;
 * which worker executes it is fenced in Postgres (src/store/fence.ts). A holder that stops
 * renewing (claiming again) loses the lease after `ttlMs`. Only a taker that runs the
 * deployment renews it (ARGV[3] = '1'): an offer finding the lease already in the deployment's
 * name leaves its expiry alone, so a lease taken by someone who died before running it lapses.
 */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if not current then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
  return {token, 1}
end
local sep = string.find(current, ':', 1, true)
if sep and string.sub(current, 1, sep - 1) == ARGV[1] then
  if ARGV[3] == '1' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return {tonumber(string.sub(current, sep + 1)), 0}
end
return {-(tonumber(string.sub(current, 1, (sep or 0) - 1)) or 0), 0}`;

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
  /**
   * The lease when the deployment holds it now (`fresh`: it was free and taken just now; otherwise
   * the deployment held it already); which deployment holds it when another does. Redis answers
   * a token (> 0) or the holder's id (negated), and whether it was taken just now. `renew`: the
   * caller runs the deployment, and a lease held in its name already gets a full ttl again;
   * false for an offer, which must not keep alive a lease whose taker may be gone.
   */
  async function take(app: string, env: string, deploymentId: number, renew = true): Promise<{ handle: LeaseHandle; fresh: boolean } | { holder: number }> {
    const [answer, taken] = (await redis.eval(CLAIM, 2, keys.lease(app, env), keys.fence(app, env), String(deploymentId), String(ttlMs), renew ? '1' : '0')) as [number, number];
    if (answer > 0) return { handle: { token: answer, value: `${deploymentId}:${answer}` }, fresh: taken === 1 };
    return { holder: -answer };
  }
  return {
    ttlMs,
    /** Takes the lease for a deployment, or confirms it already holds it; null when another holds it. */
    async claim(app: string, env: string, deploymentId: number): Promise<LeaseHandle | null> {
      const taken = await take(app, env, deploymentId);
      return 'handle' in taken ? taken.handle : null;
    },
    /** `claim`, saying which deployment holds the lease when it is not this one (in the same round trip). */
    take,
    /** Frees the environment if this deployment holds it (whatever token it was re-taken with). */
    async release(app: string, env: string, deploymentId: number): Promise<void> {
      await redis.eval(RELEASE, 1, keys.lease(app, env), String(deploymentId));
    },
  };
}

export type EnvironmentLease = ReturnType<typeof createEnvironmentLease>;
