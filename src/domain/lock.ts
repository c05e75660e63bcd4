import type { ChatOrigin } from './deployment.ts';
import type { Person } from './person.ts';

/** `manual`: taken with `lock`; `pin`: taken by Hoist itself (after a rollback). */
export type LockKind = 'manual' | 'pin';

/** The user id a pin is held by: Hoist itself, not a person. */
export const SYSTEM_OWNER: Person = { id: 'hoist', name: 'Hoist' };

/** A manual lock (or a pin) on one environment: while it holds, only its owner may act there. */
export interface EnvironmentLock {
  app: string;
  env: string;
  kind: LockKind;
  owner: Person;
  reason: string | null;
  since: Date;
  /** null: held until unlocked. */
  expiresAt: Date | null;
  /** Where it was taken: reminders and announcements go there. */
  chat: ChatOrigin;
}

export type LockAction = 'taken' | 'renewed' | 'released' | 'forced' | 'expired' | 'replaced';

/** One line of an environment's lock history. */
export interface LockHistoryEntry {
  id: number;
  app: string;
  env: string;
  action: LockAction;
  kind: LockKind;
  owner: Person;
  /** Who did it; null when Hoist did it on its own (expiry). */
  actor: Person | null;
  reason: string | null;
  at: Date;
}

/** Something about an environment's lock that people should hear of; persisted, then delivered. */
export type EnvironmentNotice =
  | { kind: 'lock-reminder'; lock: EnvironmentLock }
  | { kind: 'lock-expired'; lock: EnvironmentLock }
  | { kind: 'lock-forced'; lock: EnvironmentLock; by: Person }
  | {
      kind: 'deploy-skipped';
      lock: EnvironmentLock;
      /** The automatic deploy that was not queued. */
      requested: { action: string; ref: string | null; by: Person };
    };

/** An environment notice as the outbox holds it: delivered oldest first. */
export interface StoredNotice {
  id: number;
  notice: EnvironmentNotice;
  createdAt: Date;
}

/**
 * Whether the lock stops `userId` from running `action` there: everyone but its
 * owner is held back. A pin (kept after a rollback) still lets a rollback
 * through, so going back further is never blocked by the first rollback.
 */
export function lockStops(lock: EnvironmentLock, request: { userId: string; action: string }): boolean {
  if (lock.kind === 'pin') return request.action !== 'rollback';
  return lock.owner.id !== request.userId;
}

/** `locked by @alice since 2026-11-23 14:05 UTC: "incident 88"` (no reason: nothing after the time). */
export function lockPhrase(lock: EnvironmentLock): string {
  const who = lock.kind === 'pin' ? `pinned by ${SYSTEM_OWNER.name}` : `locked by @${lock.owner.name}`;
  const why = lock.reason === null ? '' : `: "${lock.reason}"`;
  return `${who} since ${utcMinute(lock.since)}${why}`;
}

/**
 * When the owner is reminded: 10% of the lock's time before it lapses, at most
 * 10 minutes before. A lock without an end is never reminded of.
 */
export function reminderAt(since: Date, expiresAt: Date | null): Date | null {
  if (expiresAt === null) return null;
  const length = expiresAt.getTime() - since.getTime();
  return new Date(expiresAt.getTime() - Math.min(10 * 60_000, Math.floor(length / 10)));
}

/**
 * Whether a user appears on an environment's `deployers` list: by user id
 * (`U0ALICE`) or through a `@group` handle the user belongs to. No list: anyone.
 */
export function isDeployer(deployers: readonly string[] | null, userId: string, groups: readonly string[]): boolean {
  if (deployers === null) return true;
  const handles = new Set(groups.map((g) => (g.startsWith('@') ? g : `@${g}`).toLowerCase()));
  return deployers.some((entry) => (entry.startsWith('@') ? handles.has(entry.toLowerCase()) : entry === userId));
}

/** `2026-11-23 14:05 UTC`: a moment that reads the same for everyone, wherever they are. */
export function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
