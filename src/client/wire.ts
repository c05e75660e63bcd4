import type { ActionVerb } from '../domain/command.ts';
import type { Deployment, DeploymentEvent } from '../domain/deployment.ts';
import type { Person } from '../domain/person.ts';
import type { DeploymentStatus } from '../domain/status.ts';

/** The API answered with something this client cannot read: a server of another version, or not Hoist. */
export class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function field<T>(object: Json, name: string, check: (value: unknown) => value is T, what: string): T {
  const value = object[name];
  if (!check(value)) throw new UnexpectedAnswer(`the server's ${what} has no valid "${name}"`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isMaybeString = (v: unknown): v is string | null => v === null || v === undefined || typeof v === 'string';
const isPerson = (v: unknown): v is Person => isObject(v) && typeof v.id === 'string' && typeof v.name === 'string';
const date = (v: unknown): Date | null => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : null);

/** A deployment as the API shows it, in the shape the renderers take (what the API leaves out stays empty). */
export function deploymentFrom(value: unknown): Deployment {
  if (!isObject(value)) throw new UnexpectedAnswer('the server answered without a deployment');
  const what = 'deployment';
  return {
    id: field(value, 'id', isNumber, what),
    app: field(value, 'app', isString, what),
    env: field(value, 'env', isString, what),
    action: field(value, 'action', isString, what) as ActionVerb,
    status: field(value, 'status', isString, what) as DeploymentStatus,
    reason: field(value, 'reason', isMaybeString, what) ?? null,
    ref: field(value, 'ref', isMaybeString, what) ?? null,
    sha: field(value, 'sha', isMaybeString, what) ?? null,
    requestedBy: field(value, 'requestedBy', isPerson, what),
    trigger: 'api',
    chat: { kind: 'none' },
    requestedAt: date(value.requestedAt) ?? new Date(),
    startedAt: date(value.startedAt),
    finishedAt: date(value.finishedAt),
    services: [],
  };
}

/** One rule's progress of a deployment that waits for approval. */
export interface RuleProgress {
  approvers: string[];
  count: number;
  voters: Person[];
  met: boolean;
}

export interface ApprovalProgress {
  rules: RuleProgress[];
  expiresAt: Date | null;
}

/** `{ rules, expiresAt }` of a POST's answer or of GET /deployments/:id/approvals; null when absent or unreadable. */
export function approvalFrom(value: unknown): ApprovalProgress | null {
  if (!isObject(value) || !Array.isArray(value.rules)) return null;
  const rules = value.rules.filter(
    (r): r is RuleProgress => isObject(r) && Array.isArray(r.approvers) && r.approvers.every(isString) && isNumber(r.count) && Array.isArray(r.voters) && typeof r.met === 'boolean',
  );
  return { rules, expiresAt: date(value.expiresAt) };
}

/** A message of the event stream: its position, and the deployment event when it is one. */
export interface StreamEvent {
  kind: string;
  deploymentId: number | null;
  event: DeploymentEvent | null;
}

const KINDS: ReadonlySet<string> = new Set(['requested', 'status', 'failure', 'summary', 'queue', 'supersedes', 'changelog', 'approval']);

/**
 * The `data` of an event of the stream: `{ id, kind, app, env, deploymentId?, at, …the event's
 * own fields }`. A kind this client does not know (a lock notice, a later addition) is kept
 * without an event, so that it is skipped, not misread.
 */
export function streamEventFrom(data: string): StreamEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new UnexpectedAnswer(`the event stream sent data that is not JSON: ${data.slice(0, 200)}`);
  }
  if (!isObject(value) || typeof value.kind !== 'string') throw new UnexpectedAnswer('the event stream sent an event without a kind');
  const deploymentId = isNumber(value.deploymentId) ? value.deploymentId : null;
  if (!KINDS.has(value.kind) || deploymentId === null) return { kind: value.kind, deploymentId, event: null };
  // The envelope's own fields (id, app, env, at) are not the event's.
  const { id: _id, app: _app, env: _env, at: _at, ...event } = value;
  const e = event as Json;
  if (value.kind === 'failure' && !Array.isArray(e.logTail)) e.logTail = [];
  if (value.kind === 'status') e.service ??= null;
  if ((value.kind === 'status' || value.kind === 'approval') && e.reason === undefined) e.reason = null;
  if (value.kind === 'approval') e.actor ??= null;
  return { kind: value.kind, deploymentId, event: event as unknown as DeploymentEvent };
}
