import type { Refusal } from './contract.ts';
import { refuse } from './lookup.ts';
import { isDatabaseUnreachable } from '../store/database-errors.ts';

/**
 * How long a request waits for the queue service before answering that its deployment starts
 * later: well above what a hand-over takes under a burst, so a slow one is not taken for an outage.
 */
const HAND_OVER_BUDGET_MS = 5_000;

/**
 * Runs an operation that records something; when the database cannot be reached, answers
 * that nothing was recorded (`outcome`: what that means for the user) instead of throwing.
 */
export async function unlessDatabaseDown<T>(what: string, outcome: string, work: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await work();
  } catch (error) {
    if (!isDatabaseUnreachable(error)) throw error;
    return refuse('UNAVAILABLE', `Hoist could not record this ${what}: its database does not answer; ${outcome}. Try again once it answers`);
  }
}

/** A deployment recorded just before the database stopped answering: it must not be requested again. */
export function recordedThenUnreachable(id: number): Refusal {
  return refuse(
    'UNAVAILABLE',
    `#${id} is recorded, but Hoist's database stopped answering right after; do not request it again: it starts once the database and the queue service answer`,
  );
}

/**
 * Offers an environment to the queue service once a deployment is recorded. False when
 * it failed or did not answer in time: the deployment stays QUEUED in Postgres and the
 * reconciler offers it again every few seconds, so it starts once the queue service is back.
 */
export async function handOver(kick: (app: string, env: string) => Promise<void>, app: string, env: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolveLate) => {
    timer = setTimeout(() => resolveLate(false), HAND_OVER_BUDGET_MS);
  });
  try {
    return await Promise.race([kick(app, env).then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
