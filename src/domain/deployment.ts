import type { ApprovalStep } from './approval.ts';
import type { Changelog } from './changelog.ts';
import type { ChecksRecord } from './checks.ts';
import type { ActionVerb, Trigger } from './command.ts';
import type { DeploymentSet } from './deployment-set.ts';
import type { Person } from './person.ts';
import type { PushRecord } from './push.ts';
import type { ServiceType } from './service-order.ts';
import type { DeploymentStatus, ServiceStatus } from './status.ts';

/**
 * Where a deployment's messages go: the chat the request came from. `reply` is
 * whatever that chat edge needs to answer the request later (for Slack, the
 * command's response URL): opaque to everything but that edge.
 */
export type ChatOrigin =
  | { kind: 'slack'; channel: string; userId: string; reply: string | null }
  | { kind: 'shell' }
  /**
   * A request through the HTTP API with token `token`. It has no chat of its own: its
   * messages go to `channel` in Slack (the app's first channel), or nowhere when null.
   */
  | { kind: 'api'; token: string; channel: string | null }
  /** An automatic deploy (a push to GitHub, or a new head found by polling): its messages go to `channel` in Slack (the app's first channel), or nowhere when null. */
  | { kind: 'github'; channel: string | null }
  | { kind: 'none' };

/** The chat that shows a deployment's or a lock's messages; null: none. */
export function chatOf(origin: ChatOrigin): 'slack' | 'shell' | null {
  switch (origin.kind) {
    case 'slack':
    case 'shell':
      return origin.kind;
    case 'api':
    case 'github':
      return origin.channel === null ? null : 'slack';
    case 'none':
      return null;
  }
}

/** The Slack channel messages about a request go to; null where it has none. */
export function slackChannelOf(origin: ChatOrigin): string | null {
  if (origin.kind === 'slack' || origin.kind === 'api' || origin.kind === 'github') return origin.channel;
  return null;
}

export interface DeploymentService {
  name: string;
  type: ServiceType;
  status: ServiceStatus;
  /** What this deployment brings: full commit SHA for built services, image reference otherwise. */
  version: string | null;
  /** What ran before this deployment touched the service (for revert and "which runs what"). */
  previousVersion: string | null;
  image: string | null;
  reason: string | null;
}

export interface Deployment {
  id: number;
  app: string;
  env: string;
  action: ActionVerb;
  status: DeploymentStatus;
  reason: string | null;
  /** The ref the user typed (null: the branch head). */
  ref: string | null;
  /** The SHA the ref resolved to at request time. */
  sha: string | null;
  requestedBy: Person;
  trigger: Trigger;
  /** The push that requested it (trigger `webhook`): who pushed, the head commit's message, whether it was forced. */
  push?: PushRecord | null;
  chat: ChatOrigin;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  services: DeploymentService[];
  /** The services the request named; null: the whole environment. Absent where not loaded. */
  scope?: string[] | null;
  /** The rendered configuration it applies (see deployment-set.ts); absent where not loaded. */
  deploymentSet?: DeploymentSet | null;
  /** What it changes against what ran when it was requested, once known (see changelog.ts). */
  changelog?: Changelog | null;
  /** What it records of its commit's CI checks (see checks.ts): what it waits for, whether it was forced past them; absent or null: none were asked for. */
  checks?: ChecksRecord | null;
}

/** A deployment as lists show it: without its chat origin, services, scope and set. */
export type DeploymentSummary = Pick<
  Deployment,
  'id' | 'app' | 'env' | 'action' | 'status' | 'reason' | 'ref' | 'sha' | 'requestedBy' | 'trigger' | 'push' | 'requestedAt' | 'startedAt' | 'finishedAt'
>;

/** What an environment shows for one service after a change: its status, and (when it changed) what it runs. */
export interface EnvironmentShows {
  status: ServiceStatus;
  version?: string | null;
  /** Where what it runs answers publicly (said with the version). */
  url?: string | null;
}

/** One service in a summary: what it runs now (null: nothing) and why. */
export interface SummaryLine {
  name: string;
  version: string | null;
  note: string | null;
}

/** Something that happened to a deployment; persisted first, then published. */
export type DeploymentEvent =
  /**
   * Recorded, QUEUED or AWAITING_APPROVAL (`status`). The fields beside the id say what a live
   * view needs without reading the deployment; events logged before they existed lack them.
   */
  | { kind: 'requested'; deploymentId: number; action?: ActionVerb; status?: DeploymentStatus; requestedBy?: Person; trigger?: Trigger; sha?: string | null }
  /**
   * A status of the deployment (`service` null) or of one of its services. `environment`: what
   * the environment now shows for that service (its status, and its version when that changed);
   * absent when the change leaves the environment's view as it was.
   */
  | { kind: 'status'; deploymentId: number; status: DeploymentStatus; service: string | null; reason: string | null; environment?: EnvironmentShows }
  | { kind: 'failure'; deploymentId: number; service: string; status: ServiceStatus; reason: string; logTail: string[] }
  /** A note in the thread with which service runs what: after a cancel, a rollback on failure, a pin. */
  | { kind: 'summary'; deploymentId: number; headline: string; services: SummaryLine[] }
  /** The deployment's place in its environment's queue may have changed: one ahead of it started or was removed. */
  | { kind: 'queue'; deploymentId: number }
  /** This deployment replaced an older one of the same scope that was still waiting (`queue.supersede`). */
  | { kind: 'supersedes'; deploymentId: number; superseded: number }
  /** What it changes is known now (its changelog): the card shows it. */
  | { kind: 'changelog'; deploymentId: number }
  /**
   * A step of its approval: asked for, a vote, approved, rejected…; `actor` null when Hoist took it.
   * `to`: whom the line is addressed to (user ids and `@group` handles), when someone must hear of it.
   */
  | { kind: 'approval'; deploymentId: number; step: ApprovalStep; actor: Person | null; reason: string | null; to?: string[] }
  /**
   * Its commit's CI checks: `forced` past red or pending ones (by `actor`, for `reason`), `passed` (it goes on to approval or
   * the queue), `failed` or `timed-out` while it waited (it ends CANCELED); `reason` names the checks.
   */
  | { kind: 'checks'; deploymentId: number; step: ChecksStep; actor: Person | null; reason: string };

export type ChecksStep = 'forced' | 'passed' | 'failed' | 'timed-out';

/** A deployment event as the outbox holds it: delivered in order per deployment. */
export interface StoredEvent {
  id: number;
  deploymentId: number;
  event: DeploymentEvent;
  createdAt: Date;
}
