import type { HoistConfig } from '../config/hoist-config.ts';
import type { ChatOrigin } from '../domain/deployment.ts';
import { durationText } from '../domain/duration.ts';
import { SYSTEM_OWNER, lockPhrase, lockStops, utcMinute, type EnvironmentLock } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { Trigger } from '../domain/command.ts';
import type { Db } from '../store/database.ts';
import { currentLock, expireLocks, lockHistory, nextLockDue, recordNotice, releaseLock, remindLocks, takeLock } from '../store/locks.ts';
import type { Actor, HoistService, LockResult, Refusal, UnlockResult } from './contract.ts';
import { findEnvironment, findOperable, messagesTo, refuse } from './lookup.ts';
import { createPermissions, type GroupsOf } from './permissions.ts';

export interface LockDeps {
  db: Db;
  config: HoistConfig;
  /** Tells subscribers that events or notices were recorded. */
  notify(): void;
  /** The `@group` handles a user belongs to, for `deployers` lists that name groups; none when not given. */
  groupsOf?: GroupsOf;
}

/**
 * Manual locks (SPEC §4): the operations of the HoistService, the check every
 * action request goes through, and the sweep that reminds owners and releases
 * lapsed locks.
 */
export function createLocks(deps: LockDeps) {
  const { db, config } = deps;
  const { mayDeploy, deployersText } = createPermissions(deps.groupsOf);

  async function lockEnvironment(input: Parameters<HoistService['lockEnvironment']>[0], actor: Actor): Promise<LockResult> {
    const found = findOperable(config, input.app, input.env, actor.origin);
    if ('ok' in found) return found;
    const { app, env } = found;
    if (!(await mayDeploy(env, actor.requester.id))) {
      return refuse('FORBIDDEN', `only ${env.name}'s deployers may lock ${app.name} in ${env.name}: ${deployersText(env)}`);
    }
    const requested = input.ttlMs ?? null;
    if (requested !== null && env.lockTtlMs !== null && requested > env.lockTtlMs) {
      return refuse(
        'NOT_ALLOWED',
        `locks of ${app.name} in ${env.name} last at most ${durationText(env.lockTtlMs)} (its \`lock.ttl\`); ask for \`--ttl ${durationText(env.lockTtlMs)}\` or less`,
      );
    }
    const taken = await takeLock(db, {
      app: app.name,
      env: env.name,
      kind: 'manual',
      owner: actor.requester,
      reason: input.reason,
      ttlMs: requested ?? env.lockTtlMs,
      chat: messagesTo(app, actor.origin),
    });
    deps.notify();
    if (!taken.ok) return lockedRefusal(taken.heldBy, `${app.name} in ${env.name}`);
    return { ok: true, lock: taken.lock, renewed: taken.renewed };
  }

  async function unlockEnvironment(input: Parameters<HoistService['unlockEnvironment']>[0], actor: Actor): Promise<UnlockResult> {
    const found = findOperable(config, input.app, input.env, actor.origin);
    if ('ok' in found) return found;
    const { app, env } = found;
    const subject = `${app.name} in ${env.name}`;
    const lock = await currentLock(db, app.name, env.name);
    if (lock === null) return refuse('NOT_FOUND', `${subject} is not locked`);
    const me = actor.requester;
    let forced = false;
    if (lock.kind === 'pin') {
      // A pin is nobody's: whoever may deploy there lifts it once the fix is out.
      if (!(await mayDeploy(env, me.id))) {
        return refuse('FORBIDDEN', `${subject} is ${lockPhrase(lock)}; only ${env.name}'s deployers may unlock it: ${deployersText(env)}`);
      }
    } else if (lock.owner.id !== me.id) {
      if (!input.force) {
        return refuse(
          'LOCKED',
          `${subject} is ${lockPhrase(lock)}; only @${lock.owner.name} can unlock it, or a deployer of ${env.name} with \`unlock ${app.name} in ${env.name} --force\``,
        );
      }
      if (!(await mayDeploy(env, me.id))) {
        return refuse('FORBIDDEN', `only ${env.name}'s deployers may force an unlock of ${subject}: ${deployersText(env)}`);
      }
      forced = true;
    }
    const released = await releaseLock(db, { app: app.name, env: env.name, expectedOwner: lock.owner.id, actor: me, forced });
    deps.notify();
    if (!released.ok) {
      // It changed hands (or lapsed) between the look and the release.
      return released.current === null ? refuse('NOT_FOUND', `${subject} is not locked`) : lockedRefusal(released.current, subject);
    }
    return { ok: true, released: released.released, forced };
  }

  return {
    lockEnvironment,
    unlockEnvironment,

    async environmentLock(appName: string, envName: string) {
      const found = findEnvironment(config, appName, envName);
      if ('ok' in found) return found;
      return {
        ok: true as const,
        lock: await currentLock(db, appName, envName),
        history: await lockHistory(db, appName, envName),
      };
    },

    /**
     * Whether a lock refuses this request. An automatic deploy that a lock
     * stops is announced where the lock was taken (or in the app's channel).
     */
    async check(request: {
      app: string;
      env: string;
      action: string;
      ref: string | null;
      requester: Person;
      trigger: Trigger;
      /** The environment's lock in force, as the request just read it (null: none). */
      lock: EnvironmentLock | null;
    }): Promise<Refusal | null> {
      const { lock } = request;
      if (lock === null || !lockStops(lock, { userId: request.requester.id, action: request.action })) return null;
      const subject = `${request.app} in ${request.env}`;
      if (request.trigger === 'webhook') {
        await recordNotice(db, {
          kind: 'deploy-skipped',
          lock: { ...lock, chat: announceTo(lock, config) },
          requested: { action: request.action, ref: request.ref, by: request.requester },
        });
        deps.notify();
        return refuse('LOCKED', `automatic ${request.action} skipped: ${subject} is ${lockPhrase(lock)}`);
      }
      return lockedRefusal(lock, subject);
    },

    /** Reminds owners whose lock is about to lapse and releases lapsed ones; the milliseconds until the next is due (null: none). */
    async sweep(): Promise<number | null> {
      const reminded = await remindLocks(db);
      const expired = await expireLocks(db);
      if (reminded.length > 0 || expired.length > 0) deps.notify();
      return nextLockDue(db);
    },
  };
}

export type Locks = ReturnType<typeof createLocks>;

/** Where to announce something about a lock: where it was taken, else the app's first channel. */
function announceTo(lock: EnvironmentLock, config: HoistConfig): ChatOrigin {
  if (lock.chat.kind !== 'none') return lock.chat;
  const channel = config.apps.get(lock.app)?.channels[0];
  return channel === undefined ? lock.chat : { kind: 'slack', channel, userId: lock.owner.id, reply: null };
}

function lockedRefusal(lock: EnvironmentLock, subject: string): Refusal {
  const until = lock.expiresAt === null ? 'until it is unlocked' : `until it is unlocked or lapses at ${utcMinute(lock.expiresAt)}`;
  const rest =
    lock.kind === 'pin'
      ? `nothing but a rollback runs there ${until}; \`unlock\` it once the fix is out`
      : `only @${lock.owner.name} can act there ${until}`;
  return refuse('LOCKED', `${subject} is ${lockPhrase(lock)}; ${rest}`);
}

/**
 * Pins an environment on behalf of Hoist (after a rollback), so automatic and
 * other deploys don't bring the bad version back: reason e.g. `rolled back by
 * @x from #M`. Replaces any lock there was; lasts until someone who may deploy
 * there unlocks it. Call it once the rollback has succeeded: a pin lets
 * rollbacks through but holds every other action, including ones already queued.
 */
export async function pinEnvironment(
  db: Db,
  input: { app: string; env: string; reason: string; origin: ChatOrigin },
): Promise<EnvironmentLock> {
  const taken = await takeLock(db, {
    app: input.app,
    env: input.env,
    kind: 'pin',
    owner: { ...SYSTEM_OWNER },
    reason: input.reason,
    ttlMs: null,
    chat: input.origin,
  });
  if (!taken.ok) throw new Error(`pin of ${input.app} in ${input.env} refused`);
  return taken.lock;
}
