import type { Command, Requester, Trigger } from '../domain/command.ts';
import type { ChatOrigin, Deployment } from '../domain/deployment.ts';
import type { EnvironmentView } from './views.ts';

export type ActionCommand = Extract<Command, { verb: 'deploy' | 'redeploy' | 'rollback' | 'stop' | 'restart' | 'cancel' }>;

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
    | 'CHANNEL_NOT_ALLOWED';
  reason: string;
}

export type RequestResult = { ok: true; deployment: Deployment; duplicate: boolean } | Refusal;

export interface RequestOptions {
  requester: Requester;
  origin: ChatOrigin;
  trigger: Trigger;
  /** Idempotency key: the same key twice (a retried delivery) yields the same deployment. */
  requestKey?: string;
}

/** The operations both edges (chat and HTTP) call. */
export interface HoistApi {
  /** Checks a command against the configuration without I/O; fast enough to run before a Slack ack. */
  validate(command: ActionCommand, origin: ChatOrigin): { ok: true } | Refusal;
  /** Resolves refs, records the deployment (QUEUED) and queues it. */
  request(command: ActionCommand, options: RequestOptions): Promise<RequestResult>;
  getDeployment(id: number): Promise<Deployment | null>;
  /** Environments matching the filter (both null: all), with their services and queue. */
  environments(app: string | null, env: string | null): Promise<EnvironmentView[] | Refusal>;
  /** Names known to the configuration, for did-you-mean suggestions and help. */
  catalog(): { apps: { name: string; services: string[]; environments: string[] }[] };
}
