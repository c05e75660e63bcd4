import type { Deployment, DeploymentEvent, StoredEvent } from '../../src/domain/deployment.ts';
import { secretMasker } from '../../src/domain/redact.ts';
import { isFinal, type DeploymentStatus, type ServiceStatus } from '../../src/domain/status.ts';
import type { ActionCommand, CancelTarget, HoistService, Refusal, RequestOptions, RequestResult } from '../../src/service/contract.ts';
import type { CardStore, EventFeed } from '../../src/bot/notifier.ts';
import type { EnvironmentView } from '../../src/service/views.ts';
import { memoryLedger } from './memory-ledger.ts';

/**
 * A small HoistService kept in memory for the chat edges' tests: the catalog
 * rules of the real service (unknown app/env/service, only `deploy`
 * supported), deployments that progress when told to, and an event feed and
 * card store that deliver to the notifier like the real ones (in order per
 * deployment; a failing handler sees the error).
 */

export interface CatalogApp {
  name: string;
  services: string[];
  environments: string[];
}

export interface MemoryHoist {
  api: HoistService;
  feed: EventFeed;
  cards: CardStore & { refs: Map<number, Record<string, string>> };
  requests: { command: ActionCommand; options: RequestOptions }[];
  deployments: Map<number, Deployment>;
  /** Sets statuses (the deployment's, and a service's when named) and publishes the status event. */
  advance(id: number, status: DeploymentStatus, options?: { service?: string; reason?: string }): Promise<void>;
  /** A service failure event (log tail included); the deployment's status follows with `advance`. */
  fail(id: number, service: string, status: ServiceStatus, reason: string, logTail?: string[]): Promise<void>;
  /** Delivers an event to the subscriber; rejects with the handler's error. */
  publish(event: DeploymentEvent): Promise<void>;
  /** Events a subscriber failed on, with the error. */
  failures: { event: StoredEvent; error: unknown }[];
  /** Resolves when every event published so far has been handled (or failed). */
  delivered(): Promise<void>;
}

const refuse = (code: Refusal['code'], reason: string): Refusal => ({ ok: false, code, reason });

export function memoryHoist(
  options: {
    apps?: CatalogApp[];
    /** Runs a requested deployment: called after the `requested` event. */
    run?: (deployment: Deployment, hoist: MemoryHoist) => void;
    /** Slows `request` down, as resolving a ref over the network would. */
    requestDelayMs?: number;
  } = {},
): MemoryHoist {
  const apps = options.apps ?? [{ name: 'hello', services: ['web'], environments: ['local', 'production'] }];
  const deployments = new Map<number, Deployment>();
  const byKey = new Map<string, number>();
  const requests: MemoryHoist['requests'] = [];
  const failures: MemoryHoist['failures'] = [];
  let handler: ((event: StoredEvent) => Promise<void>) | null = null;
  let eventId = 0;
  const chains = new Map<number, Promise<void>>();

  const publish = (event: DeploymentEvent): Promise<void> => {
    const stored: StoredEvent = { id: ++eventId, deploymentId: event.deploymentId, event, createdAt: new Date() };
    const previous = chains.get(event.deploymentId) ?? Promise.resolve();
    const delivery = previous.then(async () => {
      if (handler === null) return;
      try {
        await handler(stored);
      } catch (error) {
        failures.push({ event: stored, error });
        throw error;
      }
    });
    chains.set(
      event.deploymentId,
      delivery.catch(() => {}),
    );
    return delivery;
  };

  const findEnvironment = (appName: string, envName: string): CatalogApp | Refusal => {
    const app = apps.find((a) => a.name === appName);
    if (!app) return refuse('UNKNOWN_APP', `there is no app "${appName}"`);
    if (!app.environments.includes(envName)) return refuse('UNKNOWN_ENVIRONMENT', `app ${app.name} has no environment "${envName}"`);
    return app;
  };

  const validate = (command: ActionCommand): { ok: true } | Refusal => {
    const app = findEnvironment(command.scope.app, command.env);
    if ('ok' in app) return app;
    if (command.scope.services) {
      const unknown = command.scope.services.filter((s) => !app.services.includes(s));
      if (unknown.length > 0) return refuse('UNKNOWN_SERVICE', `app ${app.name} has no service "${unknown[0]}"`);
    }
    if (command.verb !== 'deploy') return refuse('NOT_SUPPORTED', `\`${command.verb}\` is not available in this version of Hoist yet; \`deploy\` is`);
    return { ok: true };
  };

  const validateCancel = (target: CancelTarget): { ok: true } | Refusal => {
    if (target.kind === 'deployment') return refuse('NOT_SUPPORTED', '`cancel` is not available in this version of Hoist yet');
    const app = findEnvironment(target.app, target.env);
    if ('ok' in app) return app;
    return refuse('NOT_SUPPORTED', '`cancel` is not available in this version of Hoist yet; `deploy` is');
  };

  const api: HoistService = {
    ...memoryLedger(),
    validate: (command) => validate(command),
    validateCancel: (target) => validateCancel(target),
    async request(command, requestOptions): Promise<RequestResult> {
      requests.push({ command, options: requestOptions });
      if (options.requestDelayMs) await new Promise((r) => setTimeout(r, options.requestDelayMs));
      const valid = validate(command);
      if (!valid.ok) return valid;
      if (command.verb !== 'deploy') throw new Error('unreachable');
      if (command.ref === 'missing') return refuse('REF_NOT_FOUND', 'no branch, tag or commit "missing"');
      if (requestOptions.requestKey !== undefined) {
        const known = byKey.get(requestOptions.requestKey);
        if (known !== undefined) return { ok: true, deployment: deployments.get(known)!, duplicate: true, coalesced: false };
      }
      const app = apps.find((a) => a.name === command.scope.app)!;
      const id = deployments.size + 1;
      const deployment: Deployment = {
        id,
        app: app.name,
        env: command.env,
        action: 'deploy',
        status: 'QUEUED',
        reason: null,
        ref: command.ref,
        sha: 'abcdef1234567890abcdef1234567890abcdef12',
        requestedBy: requestOptions.requester,
        trigger: requestOptions.trigger,
        chat: requestOptions.origin,
        requestedAt: new Date(),
        startedAt: null,
        finishedAt: null,
        services: (command.scope.services ?? app.services).map((name) => ({
          name,
          type: 'application',
          status: 'QUEUED',
          version: 'abcdef1234567890abcdef1234567890abcdef12',
          previousVersion: null,
          image: null,
          reason: null,
        })),
      };
      deployments.set(id, deployment);
      if (requestOptions.requestKey !== undefined) byKey.set(requestOptions.requestKey, id);
      void publish({ kind: 'requested', deploymentId: id })
        .catch(() => {})
        .then(() => options.run?.(structuredClone(deployment), hoist));
      return { ok: true, deployment: structuredClone(deployment), duplicate: false, coalesced: false };
    },
    async getDeployment(id) {
      const deployment = deployments.get(id);
      return deployment ? structuredClone(deployment) : null;
    },
    async environments(appName, envName) {
      if (appName !== null && !apps.some((a) => a.name === appName)) return refuse('UNKNOWN_APP', `there is no app "${appName}"`);
      const views: EnvironmentView[] = [];
      for (const app of apps) {
        if (appName !== null && app.name !== appName) continue;
        for (const env of app.environments) {
          if (envName !== null && env !== envName) continue;
          const latest = [...deployments.values()].filter((d) => d.app === app.name && d.env === env).at(-1);
          views.push({
            app: app.name,
            env,
            target: 'engine',
            production: false,
            autoDeploy: false,
            commitBaseUrl: null,
            status: latest?.status === undefined || latest.status === 'AWAITING_CHECKS' || latest.status === 'AWAITING_APPROVAL' || latest.status === 'REJECTED' || latest.status === 'EXPIRED' ? 'NEVER_DEPLOYED' : latest.status,
            services: app.services.map((name) => ({
              name,
              type: 'application',
              status: latest?.services.find((s) => s.name === name)?.status ?? 'NEVER_DEPLOYED',
              version: latest?.sha ?? null,
              image: null,
              deploymentId: latest?.id ?? null,
              updatedAt: null,
              commitUrl: null,
              running: null,
            })),
            queue: (() => {
              let waiting = 0;
              return [...deployments.values()]
                .filter((d) => d.app === app.name && d.env === env && !isFinal(d.status))
                .map((d) => ({
                  id: d.id,
                  action: d.action,
                  status: d.status,
                  position: d.status === 'QUEUED' ? ++waiting : null,
                  requestedBy: d.requestedBy,
                }));
            })(),
            awaitingApproval: [],
            lock: null,
            eventId: 0,
          });
        }
      }
      return views;
    },
    catalog: () => ({ apps: apps.map((a) => ({ ...a })) }),
    // The chat edges' tests exercise deploy and status; the rest is tested against the real service.
    lockEnvironment: async () => refuse('NOT_SUPPORTED', '`lock` is not part of this test double'),
    unlockEnvironment: async () => refuse('NOT_SUPPORTED', '`unlock` is not part of this test double'),
    approve: async () => refuse('NOT_SUPPORTED', '`approve` is not part of this test double'),
    reject: async () => refuse('NOT_SUPPORTED', '`reject` is not part of this test double'),
    approvals: async () => refuse('NOT_SUPPORTED', 'approvals are not part of this test double'),
    environmentLock: async () => refuse('NOT_SUPPORTED', 'locks are not part of this test double'),
    cancel: async () => refuse('NOT_SUPPORTED', '`cancel` is not part of this test double'),
    serviceLogs: async () => refuse('NOT_SUPPORTED', 'the running app\'s logs are not part of this test double'),
    serviceUsage: async () => refuse('NOT_SUPPORTED', 'the running app\'s usage is not part of this test double'),
    listDeployments: async () => refuse('NOT_SUPPORTED', 'history is not part of this test double'),
    deploymentManifests: async () => refuse('NOT_SUPPORTED', 'manifests are not part of this test double'),
    diffDeployments: async () => refuse('NOT_SUPPORTED', 'diffs are not part of this test double'),
    deploymentLogs: async () => refuse('NOT_SUPPORTED', 'logs are not part of this test double'),
    // Its deployments carry no sets: only the pattern redaction applies.
    secretMasker: async () => secretMasker({ secrets: [], fingerprint: () => '00000000' }),
  };

  const refs = new Map<number, Record<string, string>>();
  const hoist: MemoryHoist = {
    api,
    feed: {
      subscribe(h) {
        handler = h;
        return () => {
          if (handler === h) handler = null;
        };
      },
    },
    cards: {
      refs,
      async get(id) {
        return refs.get(id) ?? null;
      },
      async save(id, ref) {
        refs.set(id, ref);
      },
    },
    requests,
    deployments,
    failures,
    publish,
    async delivered() {
      for (;;) {
        const pending = [...chains.values()];
        await Promise.all(pending);
        if ([...chains.values()].every((chain, i) => chain === pending[i])) return;
      }
    },
    async advance(id, status, advanceOptions = {}) {
      const deployment = deployments.get(id);
      if (!deployment) throw new Error(`no deployment #${id}`);
      if (advanceOptions.service !== undefined) {
        const service = deployment.services.find((s) => s.name === advanceOptions.service);
        if (service && status !== 'AWAITING_CHECKS' && status !== 'AWAITING_APPROVAL' && status !== 'REJECTED' && status !== 'EXPIRED') service.status = status;
      } else {
        deployment.status = status;
        if (deployment.startedAt === null && status !== 'QUEUED') deployment.startedAt = new Date();
        if (isFinal(status)) deployment.finishedAt = new Date();
      }
      if (advanceOptions.reason !== undefined) deployment.reason = advanceOptions.reason;
      await publish({ kind: 'status', deploymentId: id, status, service: advanceOptions.service ?? null, reason: advanceOptions.reason ?? null });
    },
    async fail(id, service, status, reason, logTail = []) {
      const deployment = deployments.get(id);
      if (!deployment) throw new Error(`no deployment #${id}`);
      const entry = deployment.services.find((s) => s.name === service);
      if (entry) {
        entry.status = status;
        entry.reason = reason;
      }
      await publish({ kind: 'failure', deploymentId: id, service, status, reason, logTail });
    },
  };
  return hoist;
}

/** Runs a deployment through BUILDING and DEPLOYING to DEPLOYED, or to BUILD_ERROR for the ref `broken`. */
export async function runToEnd(deployment: Deployment, hoist: MemoryHoist): Promise<void> {
  const id = deployment.id;
  await hoist.advance(id, 'BUILDING');
  for (const service of deployment.services) await hoist.advance(id, 'BUILDING', { service: service.name });
  if (deployment.ref === 'broken') {
    const first = deployment.services[0]!.name;
    await hoist.fail(id, first, 'BUILD_ERROR', 'the build failed', ['step 1/2', 'hoist-build-boom: exit 3']);
    await hoist.advance(id, 'BUILD_ERROR', { reason: 'build of web failed' });
    return;
  }
  for (const service of deployment.services) {
    await hoist.advance(id, 'DEPLOYING', { service: service.name });
    await hoist.advance(id, 'DEPLOYED', { service: service.name });
  }
  await hoist.advance(id, 'DEPLOYED');
}
