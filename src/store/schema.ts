import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface DeploymentsTable {
  id: Generated<number>;
  app: string;
  env: string;
  action: string;
  status: string;
  reason: string | null;
  ref: string | null;
  sha: string | null;
  scope: Json<string[] | null> | null;
  requested_by: string;
  requested_by_name: string;
  trigger: string;
  chat: Json<unknown>;
  request_key: string | null;
  requested_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  deployment_set: Json<unknown> | null;
  /** rollback: the deployment whose set it applies, and the one it replaces. */
  rollback_to: number | null;
  rollback_from: number | null;
  fence: number | null;
  heartbeat_at: Timestamp | null;
  cancel_requested_at: Timestamp | null;
  executor: string | null;
  /** While it waits: what it would do, so that an identical request joins it. */
  waiting_key: string | null;
  /** Its place in the environment's queue, given when it joined it; null while it waits for approval. */
  queue_order: ColumnType<string | null, string | null | undefined, string | null>;
  /** While it waits for approval: when it expires. */
  approval_expires_at: Timestamp | null;
  /** While it waits for approval: when its approvers are reminded next (null: not again). */
  approval_remind_at: Timestamp | null;
  /** The push that requested it (see domain/push.ts `PushRecord`); null: not requested by a push. */
  push: Json<unknown> | null;
  /** What it changes (see domain/changelog.ts), once known. */
  changelog: Json<unknown> | null;
  /** What it records of its commit's CI checks (see domain/checks.ts `ChecksRecord`); null: none were asked for. */
  checks: Json<unknown> | null;
  /** While it waits for checks: when it gives up (CANCELED). */
  checks_deadline: Timestamp | null;
  /** While it waits for checks: when they are read next. */
  checks_next_at: Timestamp | null;
}

export interface ApprovalVotesTable {
  deployment_id: number;
  voter_id: string;
  voter_name: string;
  /** The voter's `@group` handles when they voted. */
  groups: Json<string[]>;
  at: Timestamp;
}

export interface ApprovalHistoryTable {
  id: Generated<number>;
  deployment_id: number;
  step: string;
  actor_id: string | null;
  actor_name: string | null;
  /** Where it came from: slack, shell, api, webhook, or hoist itself. */
  edge: string | null;
  reason: string | null;
  sha: string | null;
  /** The deployment set it was about (its waiting key). */
  set_key: string | null;
  at: Timestamp;
}

export interface DeploymentServicesTable {
  deployment_id: number;
  name: string;
  type: string;
  position: number;
  status: string;
  version: string | null;
  previous_version: string | null;
  image: string | null;
  reason: string | null;
}

export interface DeploymentLogsTable {
  id: Generated<number>;
  deployment_id: number;
  service: string | null;
  line: string;
  at: Timestamp;
}

/** Hoist's one event log (see migrations 0010 and 0022): deployment events, lock notices and lock changes. */
export interface DeploymentEventsTable {
  id: Generated<number>;
  /** null for an environment's entries (lock notices and changes). */
  deployment_id: number | null;
  kind: string;
  app: string;
  env: string;
  payload: Json<unknown>;
  created_at: Timestamp;
  /** Given by a reader after the append commits (migration 0022), in batches; null until then. */
  position: ColumnType<number | null, never, never>;
}

/** How far each consumer of the log has read. */
export interface EventCursorsTable {
  consumer: string;
  position: number;
}

/** A consumer's events that failed and are tried again, and those of the same group waiting behind them. */
export interface EventRetriesTable {
  consumer: string;
  event_id: number;
  attempts: number;
  next_at: Timestamp | null;
  last_error: string | null;
}

/** Events a consumer gave up on after trying for a day. */
export interface EventFailuresTable {
  id: Generated<number>;
  consumer: string;
  event_id: number;
  attempts: number;
  last_error: string;
  failed_at: Generated<Date>;
}

export interface ServiceStateTable {
  app: string;
  env: string;
  service: string;
  status: string;
  version: string | null;
  image: string | null;
  deployment_id: number | null;
  updated_at: Timestamp;
  /** Where it answers publicly, as the deployment that last ran it recorded (migration 0021). */
  url: string | null;
}

export interface ChatCardsTable {
  deployment_id: number;
  ref: Json<Record<string, string>>;
  created_at: Timestamp;
}

export interface EnvironmentLocksTable {
  app: string;
  env: string;
  kind: string;
  owner_id: string;
  owner_name: string;
  reason: string | null;
  chat: Json<unknown>;
  taken_at: Timestamp;
  expires_at: Timestamp | null;
  remind_at: Timestamp | null;
  reminded_at: Timestamp | null;
}

export interface LockHistoryTable {
  id: Generated<number>;
  app: string;
  env: string;
  action: string;
  kind: string;
  owner_id: string;
  owner_name: string;
  actor_id: string | null;
  actor_name: string | null;
  reason: string | null;
  at: Timestamp;
}

export interface RequestsTable {
  key: string;
  answer: Json<unknown> | null;
  claimed_at: Timestamp;
}

export interface ApiTokensTable {
  name: string;
  /** SHA-256 of the secret, hex. */
  secret_hash: string;
  scopes: Json<string[]>;
  apps: Json<string[] | null> | null;
  envs: Json<string[] | null> | null;
  act_as: string | null;
  /** Where it came from: cli, env (HOIST_API_TOKENS), local (the local admin token), api. */
  origin: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Keys of Hoist's own (migration 0011): `secrets`, the HMAC key of masked values. */
export interface HoistKeysTable {
  name: string;
  key: Uint8Array;
  created_at: Generated<Date>;
}

/** What one webhook is told of one deployment event (migration 0012). */
export interface WebhookDeliveriesTable {
  id: string;
  webhook: string;
  deployment_id: number;
  event: string;
  event_id: number;
  /** With its credentials masked. */
  url: string;
  /** The JSON body exactly as signed and sent. */
  body: string;
  state: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined>;
  created_at: Generated<Date>;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  attempted_at: Timestamp;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: 'delivered' | 'retry' | 'failed';
  redelivery: ColumnType<boolean, boolean | undefined>;
}

/** The dashboard's sign-in sessions (migration 0013): hashes only, bound to the token they were opened with. */
export interface DashboardSessionsTable {
  /** SHA-256 of the session id the cookie holds, hex. */
  session_hash: string;
  /** SHA-256 of the token secret it was opened with: the token is checked again on each use. */
  token_hash: string;
  token_name: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
}

/** Polled git repositories (migration 0017): who checks each one, and the heads it last saw. */
export interface GitPollsTable {
  /** SHA-256 of the repository URL, hex (the URL may carry credentials). */
  repo_key: string;
  repo_name: string;
  holder: string;
  lease_until: Timestamp;
  /** Branch name → the head last seen; null: never checked. */
  heads: ColumnType<Record<string, string> | null, string | null, string | null>;
  checked_at: Timestamp | null;
}

/** The GitHub Deployment mirroring a Hoist deployment (migration 0015): intended first, its id recorded once made. */
export interface GitHubDeploymentsTable {
  deployment_id: number;
  repo: string;
  environment: string;
  /** int8: pg answers a string, PGlite a number. */
  github_id: ColumnType<string | number | null, number | null | undefined, number | null>;
  refused: string | null;
  created_at: Generated<Date>;
}

/** Who follows each target's running status (migration 0018). */
export interface RunningWatchesTable {
  target: string;
  holder: string;
  lease_until: Timestamp;
}

/** Each service's running status as its target's holder last read it (migration 0018). */
export interface RunningStatusTable {
  app: string;
  env: string;
  service: string;
  state: string;
  ready: number;
  desired: number;
  restarts: number;
  reason: string | null;
  announced_down: boolean;
  since: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Database {
  deployments: DeploymentsTable;
  deployment_services: DeploymentServicesTable;
  deployment_logs: DeploymentLogsTable;
  deployment_events: DeploymentEventsTable;
  service_state: ServiceStateTable;
  chat_cards: ChatCardsTable;
  environment_locks: EnvironmentLocksTable;
  lock_history: LockHistoryTable;
  event_cursors: EventCursorsTable;
  event_retries: EventRetriesTable;
  event_failures: EventFailuresTable;
  requests: RequestsTable;
  approval_votes: ApprovalVotesTable;
  approval_history: ApprovalHistoryTable;
  api_tokens: ApiTokensTable;
  hoist_keys: HoistKeysTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  dashboard_sessions: DashboardSessionsTable;
  git_polls: GitPollsTable;
  github_deployments: GitHubDeploymentsTable;
  running_watches: RunningWatchesTable;
  running_status: RunningStatusTable;
}
