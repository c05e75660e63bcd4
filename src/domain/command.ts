/** What a user asked for, whatever edge it came from (slash command, mention, shell, API). */
/** What a deployment does: each action is recorded as a deployment and run by a worker. */
export type ActionVerb = 'deploy' | 'redeploy' | 'rollback' | 'stop' | 'restart' | 'destroy';
export const ACTION_VERBS: readonly ActionVerb[] = ['deploy', 'redeploy', 'rollback', 'stop', 'restart', 'destroy'];

/**
 * The verbs with a command of their own besides `/hoist` (`/deploy …`, `/cancel …`): the actions, and calling one off.
 * `destroy` has none: what removes data for good is typed out in full, `/hoist destroy …`.
 */
export type AliasVerb = Exclude<ActionVerb, 'destroy'> | 'cancel';
export const ALIAS_VERBS: readonly AliasVerb[] = ['deploy', 'redeploy', 'rollback', 'stop', 'restart', 'cancel'];

export type Verb = ActionVerb | 'cancel' | 'approve' | 'reject' | 'status' | 'history' | 'logs' | 'lock' | 'unlock' | 'where' | 'help';
export const VERBS: readonly Verb[] = [...ACTION_VERBS, 'cancel', 'approve', 'reject', 'status', 'history', 'logs', 'lock', 'unlock', 'where', 'help'];

/** `shop` or `shop/api,worker`; `services` is null for the whole environment. */
export interface Scope {
  app: string;
  services: string[] | null;
}

export type Command =
  /**
   * `bypassApproval`: only when `--bypass-approval "<reason>"` was given, by a `bypass` member going ahead without approval.
   * `force`: only when `--force "<reason>"` was given, by a deployer deploying past red or pending CI checks.
   */
  | { verb: 'deploy'; scope: Scope; env: string; ref: string | null; bypassApproval?: string; force?: string }
  | { verb: 'redeploy'; scope: Scope; env: string }
  | { verb: 'rollback'; scope: Scope; env: string; to: number | null }
  | { verb: 'stop'; scope: Scope; env: string }
  | { verb: 'restart'; scope: Scope; env: string }
  /** `confirm`: the service's full name (`shop/db`) typed again with `--confirm`; null when it was not given. */
  | { verb: 'destroy'; scope: Scope; env: string; confirm: string | null }
  | { verb: 'cancel'; target: { kind: 'deployment'; id: number } | { kind: 'environment'; app: string; env: string } }
  /** A vote for a deployment that waits for approval. */
  | { verb: 'approve'; id: number }
  | { verb: 'reject'; id: number; reason: string }
  | { verb: 'status'; app: string | null; env: string | null }
  | { verb: 'history'; app: string; env: string | null }
  /** `service` null: every line of the deployment. */
  | { verb: 'logs'; id: number; service: string | null }
  /** `id` null: what the running service's replicas write now, not a deployment's log. */
  | { verb: 'logs'; id: null; app: string; service: string; env: string }
  /** `ttlMs` only when `--ttl` was given; the environment's `lock.ttl` applies otherwise. */
  | { verb: 'lock'; app: string; env: string; reason: string | null; ttlMs?: number }
  | { verb: 'unlock'; app: string; env: string; force: boolean }
  | { verb: 'where'; app: string }
  | { verb: 'help'; topic: Verb | null };

export type Trigger = 'chat' | 'api' | 'shell' | 'webhook';
