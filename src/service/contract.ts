import type { ApprovalEntry, RuleProgress } from '../domain/approval.ts';
import type { ActionVerb, Command, Trigger } from '../domain/command.ts';
import type { ChatOrigin, Deployment, DeploymentSummary } from '../domain/deployment.ts';
import type { EnvironmentLock, LockHistoryEntry } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { PushRecord } from '../domain/push.ts';
import type { SecretMasker } from '../domain/redact.ts';
import type { SetChange } from '../domain/set-diff.ts';
import type { DeploymentStatus } from '../domain/status.ts';
import type { ReplicaUsage } from '../engine/ports.ts';
import type { EnvironmentView } from './views.ts';

export type ActionCommand = Extract<Command, { verb: ActionVerb }>;

/** An expected refusal: a value, not an exception. `code` is stable; `reason` is for the user. */
export interface Refusal {
  ok: false;
  code:
    | 'UNKNOWN_APP'
    | 'UNKNOWN_ENVIRONMENT'
    | 'UNKNOWN_SERVICE'
    | 'BAD_REF'
    | 'REF_NOT_FOUND'
    | 'NOT_ALLOWED'
    | 'NOT_SUPPORTED'
    | 'NOT_FOUND'
    | 'CHANNEL_NOT_ALLOWED'
    /** Someone else holds the environment (a manual lock or a pin). */
    | 'LOCKED'
    /** The user may not do this here (e.g. force an unlock without being a deployer). */
    | 'FORBIDDEN'
    /** A malformed query (a filter, a cursor, a limit). */
    | 'BAD_REQUEST'
    /** Hoist's database does not answer: the reason says what was recorded (usually nothing). */
    | 'UNAVAILABLE'
    /** A vote from someone no approval rule names; the reason says who may approve. */
    | 'NOT_APPROVER'
    /** A vote on one's own deployment where the environment does not allow self-approval. */
    | 'OWN_DEPLOYMENT'
    /** A vote on a deployment no longer waiting for approval (approved, rejected, expired, canceled). */
    | 'DECIDED'
    /** A deploy of a commit whose CI checks failed; the reason names each failing check. */
    | 'CHECKS_FAILED'
    /** A destroy without the service's full name typed again (or with another name); the reason names what to give. */
    | 'CONFIRMATION_NEEDED';
  reason: string;
}

/**
 * `duplicate`: the request key had requested `deployment` before. `coalesced`:
 * `deployment` was already waiting to do exactly this, so nothing new was recorded.
 * `waitsForQueue`: recorded (QUEUED), but the queue service did not take it; it starts
 * once the queue service is back, without being requested again.
 */
export type RequestResult =
  | { ok: true; deployment: Deployment; duplicate: boolean; coalesced: boolean; waitsForQueue?: boolean; awaitingApproval?: ApprovalView }
  | Refusal;

/** A deployment's approval: the rules, each with its progress, and every step so far. */
export interface ApprovalView {
  deploymentId: number;
  status: DeploymentStatus;
  /** Whether it waits (or waited) for approval at all; without, `rules` and `history` are empty. */
  required: boolean;
  rules: RuleProgress[];
  /** Every rule holds. */
  approved: boolean;
  selfApproval: boolean;
  /** While it waits: when it expires. */
  expiresAt: Date | null;
  history: ApprovalEntry[];
}

export type ApprovalResult = ({ ok: true } & ApprovalView) | Refusal;

/**
 * A vote taken: `counted` (more are needed), `approved` (it was the last needed: the
 * deployment joined the queue), `already-counted` (this person had voted; it counts once).
 */
export type VoteOutcome = 'counted' | 'approved' | 'already-counted';
export type VoteResult = { ok: true; deployment: Deployment; outcome: VoteOutcome; approval: ApprovalView } | Refusal;
export type RejectResult = { ok: true; deployment: Deployment } | Refusal;

export interface RequestOptions {
  requester: Person;
  origin: ChatOrigin;
  trigger: Trigger;
  /** Idempotency key: the same key twice (a retried delivery) yields the same deployment. */
  requestKey?: string;
  /** The push that asks for it (trigger `webhook`), recorded with it. */
  push?: PushRecord;
}

/** Who asks, and from where. */
export interface Actor {
  requester: Person;
  origin: ChatOrigin;
}

export interface LockInput {
  app: string;
  env: string;
  reason: string | null;
  /** How long; absent or null: the environment's `lock.ttl` (or until unlocked). */
  ttlMs?: number | null;
}

export type LockResult = { ok: true; lock: EnvironmentLock; renewed: boolean } | Refusal;
export type UnlockResult = { ok: true; released: EnvironmentLock; forced: boolean } | Refusal;
export type LockState = { ok: true; lock: EnvironmentLock | null; history: LockHistoryEntry[] } | Refusal;

export type CancelTarget = Extract<Command, { verb: 'cancel' }>['target'];
/** `removed`: it had not started and will not run; `canceling`: it runs and has been told to stop. */
export type CancelResult = { ok: true; deployment: Deployment; outcome: 'removed' | 'canceling' } | Refusal;

export interface DeploymentQuery {
  app?: string | null;
  env?: string | null;
  /** Any of these statuses. */
  status?: string[] | null;
  /** Any of these actions. */
  action?: string[] | null;
  /** 1–100; default 20. */
  limit?: number | null;
  /** From the previous page's `nextCursor`. */
  cursor?: string | null;
}

export type DeploymentPage = { ok: true; items: DeploymentSummary[]; nextCursor: string | null } | Refusal;

/** A deployment's stored deployment set: per service, the version and configuration it applied. */
export type ManifestsResult = { ok: true; deploymentId: number; app: string; env: string; set: unknown } | Refusal;

/** What differs from deployment `from` to deployment `to`: by path, and as a unified diff. */
/** Each change with `text`, the phrase people read (`services[web].replicas: 1 → 2`, `…secretRefs.DB_PASSWORD: secret changed`). */
export type DiffResult = { ok: true; from: number; to: number; changes: (SetChange & { text: string })[]; unified: string } | Refusal;

/**
 * Which of a deployment's log lines: the last `tail`, or a page forward from
 * `after` (a line id; 0 or absent: the first line) of at most `limit`.
 */
export interface LogQuery {
  /** The last N lines, 1–1000; not together with `after` or `limit`. */
  tail?: number | null;
  /** One service's lines only. */
  service?: string | null;
  after?: number | null;
  /** 1–1000; default 500. */
  limit?: number | null;
}

export interface LogLineView {
  id: number;
  /** null for notes about the deployment as a whole. */
  service: string | null;
  line: string;
  at: Date;
}

/**
 * Log lines oldest first. `nextAfter` continues a page forward: null when the
 * page reaches the last line logged so far.
 */
export type LogsResult =
  | { ok: true; deploymentId: number; app: string; env: string; status: DeploymentStatus; reason: string | null; lines: LogLineView[]; nextAfter: number | null }
  | Refusal;

/** What the running service wrote: `tail` lines of each replica to start with (1–1000, default 100), then, with `follow`, what comes. */
export interface AppLogQuery {
  tail?: number | null;
  follow?: boolean;
}

/** A line the running service wrote, named by its replica (pod or container), secrets masked. */
export interface AppLogLineView {
  replica: string;
  at: Date | null;
  line: string;
}

/** The lines as they are read from the target; a followed one ends when the caller's signal aborts or every replica has ended. */
export type AppLogsResult = { ok: true; app: string; env: string; service: string; lines: AsyncIterable<AppLogLineView> } | Refusal;

/** CPU and memory of each replica now; `unavailable`: why the target cannot measure (no metrics-server), with no replicas. */
export type UsageResult =
  | { ok: true; app: string; env: string; service: string; at: Date; replicas: ReplicaUsage[]; window: string | null; unavailable: string | null }
  | Refusal;

/**
 * Whether the caller carries a request out: `first` (it does, then answers),
 * `answered` (it was carried out; here is the first answer), or `pending`
 * (another is still carrying it out, past the wait).
 */
export type RequestClaim =
  | { state: 'first' }
  | { state: 'answered'; answer: unknown }
  | { state: 'pending' }
  /** The database does not answer: nothing was claimed, so nothing of the request is carried out. */
  | { state: 'unavailable'; refusal: Refusal };

/** Every request is carried out once: its identity is claimed, its first answer kept for replays. */
export interface RequestLedger {
  /** Claims `key`; a replay of a request still being carried out waits (briefly) for its answer. */
  claimRequest(key: string): Promise<RequestClaim>;
  /** Keeps the first answer (JSON) for replays of `key`. */
  answerRequest(key: string, answer: unknown): Promise<void>;
  /** Carrying `key` out failed: a retry may carry it out. */
  releaseRequest(key: string): Promise<void>;
}

/** The operations both edges (chat and HTTP) call; the ledger carries each chat request out once. */
export interface HoistService extends RequestLedger {
  /** Checks a command against the configuration without I/O; fast enough to run before a Slack ack. */
  validate(command: ActionCommand, origin: ChatOrigin): { ok: true } | Refusal;
  /** The same for a cancel: the app and environment it names, and the channel; a deployment number is looked up by `cancel`. */
  validateCancel(target: CancelTarget, origin: ChatOrigin): { ok: true } | Refusal;
  /** Resolves refs, records the deployment (QUEUED) and queues it. */
  request(command: ActionCommand, options: RequestOptions): Promise<RequestResult>;
  /** The deployment, its reasons and set with secrets masked (the stored set keeps the real values). */
  getDeployment(id: number): Promise<Deployment | null>;
  /** What hides the secrets a deployment knows (its set's and its environment's `env` values) in texts an edge shows, such as an event's log tail. */
  secretMasker(deploymentId: number): Promise<SecretMasker>;
  /** Environments matching the filter (both null: all), with their services and queue. */
  environments(app: string | null, env: string | null): Promise<EnvironmentView[] | Refusal>;
  /** Holds an environment for the requester: others' actions there are refused until it is released or lapses. */
  lockEnvironment(input: LockInput, actor: Actor): Promise<LockResult>;
  /** Releases the requester's lock; `force` releases someone else's (deployers only; recorded and announced). */
  unlockEnvironment(input: { app: string; env: string; force: boolean }, actor: Actor): Promise<UnlockResult>;
  /** The environment's lock, if any, and its recent lock history (newest first). */
  environmentLock(app: string, env: string): Promise<LockState>;
  /**
   * Removes a waiting deployment, or tells a running one to stop (CANCELING).
   * `<app> in <env>` means the running deployment, else the newest waiting one.
   */
  cancel(target: CancelTarget, actor: Actor): Promise<CancelResult>;
  /** Deployments newest first, filtered, a page at a time. */
  listDeployments(query: DeploymentQuery): Promise<DeploymentPage>;
  deploymentManifests(id: number): Promise<ManifestsResult>;
  /** What differs from deployment `against` to deployment `id`. */
  diffDeployments(id: number, against: number): Promise<DiffResult>;
  /** A deployment's log: build output, engine notes, container output. */
  deploymentLogs(id: number, query?: LogQuery): Promise<LogsResult>;
  /** What the running service's replicas write (not a deployment's log): the last lines of each, or followed. */
  serviceLogs(app: string, env: string, service: string, query: AppLogQuery, signal: AbortSignal): Promise<AppLogsResult>;
  /** CPU and memory of the running service's replicas now, as its target measures them. */
  serviceUsage(app: string, env: string, service: string): Promise<UsageResult>;
  /** A vote for a deployment waiting for approval; once every rule holds, it joins its environment's queue. */
  approve(id: number, actor: Actor): Promise<VoteResult>;
  /** Ends a deployment waiting for approval REJECTED, with who and why (a reason is required). */
  reject(id: number, actor: Actor, reason: string): Promise<RejectResult>;
  /** A deployment's approval rules, their progress and its history. */
  approvals(id: number): Promise<ApprovalResult>;
  /** Names known to the configuration, for did-you-mean suggestions and help. */
  catalog(): { apps: { name: string; services: string[]; environments: string[] }[] };
}
