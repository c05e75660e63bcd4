/**
 * CI checks before a deploy (SPEC §2 `checks:`): what GitHub reports of a commit — its commit
 * statuses (the combined status) and its check runs — judged against an environment's
 * `require`. Green: it may go; pending: it waits (named checks not done, or none reported
 * yet); red: it is refused, each failing check named with its link.
 */
import type { Person } from './person.ts';

/** An environment's `checks:`. */
export interface ChecksPolicy {
  /** `all`: every check reported must pass (and at least one must be reported); a list: those checks must be reported and pass. */
  require: 'all' | string[];
  /** How long a deploy waits for pending checks before it ends CANCELED. */
  timeoutMs: number;
}

/** One check as Hoist judges it: a commit status (by its context) or a check run (by its name). */
export interface CommitCheck {
  name: string;
  state: 'success' | 'pending' | 'failure';
  /** Where its details are: the status's `target_url`, the check run's `html_url` (or `details_url`). */
  url: string | null;
}

export type ChecksVerdict =
  | { verdict: 'green' }
  /** `waitingFor`: the checks not done yet; empty when `require: all` and nothing was reported yet. */
  | { verdict: 'pending'; waitingFor: string[] }
  | { verdict: 'red'; failing: { name: string; url: string | null }[] };

/** A status in "Get the combined status for a specific reference": its context, state and link. */
export interface GitHubCommitStatus {
  context: string;
  state: string;
  target_url?: string | null;
}

/** A check run in "List check runs for a Git reference". */
export interface GitHubCheckRun {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
  details_url?: string | null;
}

/**
 * A commit status's state: `success`, `pending`, else (`failure`, `error`) failing. A
 * context reported more than once counts by the newest, which the combined status lists alone.
 */
function statusState(state: string): CommitCheck['state'] {
  if (state === 'success') return 'success';
  if (state === 'pending') return 'pending';
  return 'failure';
}

/**
 * A check run: not `completed` is pending; completed with `success`, `neutral` or `skipped`
 * passes, as GitHub's required status checks count them; any other conclusion
 * (`failure`, `cancelled`, `timed_out`, `action_required`, `stale`, `startup_failure`) fails.
 */
function runState(run: GitHubCheckRun): CommitCheck['state'] {
  if (run.status !== 'completed') return 'pending';
  return run.conclusion === 'success' || run.conclusion === 'neutral' || run.conclusion === 'skipped' ? 'success' : 'failure';
}

/** The checks of a commit from GitHub's two answers; a check run re-run under the same name counts by its newest run. */
export function commitChecks(statuses: readonly GitHubCommitStatus[], runs: readonly GitHubCheckRun[]): CommitCheck[] {
  const newest = new Map<string, GitHubCheckRun>();
  for (const run of runs) {
    const held = newest.get(run.name);
    if (held === undefined || run.id > held.id) newest.set(run.name, run);
  }
  const fromStatuses = statuses.map((s): CommitCheck => ({ name: s.context, state: statusState(s.state), url: s.target_url ?? null }));
  const fromRuns = [...newest.values()].map((r): CommitCheck => ({ name: r.name, state: runState(r), url: r.html_url ?? r.details_url ?? null }));
  return [...fromStatuses, ...fromRuns];
}

/**
 * The verdict on a commit's checks under `require`. A name reported both as a status and as
 * a check run must pass as both. Red wins over pending: a failed check will not turn green
 * by waiting (a re-run is a new request).
 */
export function judgeChecks(require: ChecksPolicy['require'], checks: readonly CommitCheck[]): ChecksVerdict {
  const wanted = require === 'all' ? checks : checks.filter((c) => require.includes(c.name));
  const failing = wanted.filter((c) => c.state === 'failure').map((c) => ({ name: c.name, url: c.url }));
  if (failing.length > 0) return { verdict: 'red', failing };
  const pending = unique(wanted.filter((c) => c.state === 'pending').map((c) => c.name));
  const missing = require === 'all' ? [] : require.filter((name) => !checks.some((c) => c.name === name));
  const waitingFor = unique([...pending, ...missing]);
  if (waitingFor.length > 0) return { verdict: 'pending', waitingFor };
  if (wanted.length === 0) return { verdict: 'pending', waitingFor: [] };
  return { verdict: 'green' };
}

const unique = (names: string[]): string[] => [...new Set(names)];

/** `ci/build, lint`, or what waits when nothing was reported yet. */
export function waitingText(waitingFor: readonly string[]): string {
  return waitingFor.length === 0 ? 'no check reported yet' : waitingFor.join(', ');
}

/** `ci/build (https://ci…), lint` */
export function failingText(failing: readonly { name: string; url: string | null }[]): string {
  return failing.map((f) => (f.url === null ? f.name : `${f.name} (${f.url})`)).join(', ');
}

/** What a forced deploy went past, as recorded and announced. */
export interface ChecksForced {
  by: Person;
  reason: string;
  /** What the checks said when it was forced. */
  verdict: 'red' | 'pending';
  /** The failing checks (red) or those not done (pending). */
  checks: string[];
}

/** What a deployment records of its checks: why it waits, and whether it was forced past them. */
export interface ChecksRecord {
  /** While AWAITING_CHECKS: the checks not done yet (empty: none reported yet). */
  waitingFor: string[] | null;
  forced: ChecksForced | null;
  /** It went ahead without approval (`--bypass-approval`): once the checks pass, it does not ask for approval either. */
  bypassedApproval: boolean;
}

/** The line that announces a forced deploy: why, and past what. */
export function forcedText(forced: ChecksForced): string {
  const past = forced.verdict === 'red' ? `failing: ${forced.checks.join(', ')}` : `pending: ${waitingText(forced.checks)}`;
  return `${forced.reason} (checks ${past})`;
}
