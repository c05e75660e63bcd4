import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks, type EmitterWebhookEvent } from '@octokit/webhooks';
import type { Logger } from 'pino';
import type { PushFacts } from '../domain/push.ts';
import type { HoistService } from '../service/contract.ts';
import type { CheckWaits } from '../service/check-waits.ts';
import type { PushDeploys } from '../service/push-deploys.ts';

/** GitHub caps a delivery's payload at 25 MB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

export interface GitHubWebhookDeps {
  /** GITHUB_WEBHOOK_SECRET: what GitHub signs each delivery with (`X-Hub-Signature-256`). */
  secret: string;
  pushes: PushDeploys;
  /** A `check_run` or `status` delivery: the deployments waiting for that commit's checks read them again at once. */
  checks: Pick<CheckWaits, 'commitChanged'>;
  /** Each delivery (`X-GitHub-Delivery`) is carried out once, however often GitHub sends it. */
  ledger: Pick<HoistService, 'claimRequest' | 'answerRequest' | 'releaseRequest'>;
  logger: Logger;
}

type PushPayload = EmitterWebhookEvent<'push'>['payload'];

/** The push as Hoist needs it; GitHub's payload stops here. */
export function pushFacts(payload: PushPayload): PushFacts {
  return {
    repository: payload.repository.full_name,
    defaultBranch: payload.repository.default_branch,
    ref: payload.ref,
    after: payload.after,
    deleted: payload.deleted,
    forced: payload.forced,
    pusher: payload.sender?.login ?? payload.pusher.name,
    message: payload.head_commit?.message ?? null,
    compareUrl: payload.compare || null,
  };
}

/** The commit a `check_run` (its `head_sha`) or `status` (its `sha`) delivery is about, and its repository. */
export function changedCommit(event: 'check_run' | 'status', payload: unknown): { repository: string; sha: string } | null {
  const p = payload as { repository?: { full_name?: unknown }; sha?: unknown; check_run?: { head_sha?: unknown } } | null;
  const repository = p?.repository?.full_name;
  const sha = event === 'status' ? p?.sha : p?.check_run?.head_sha;
  return typeof repository === 'string' && typeof sha === 'string' && /^[0-9a-f]{40}$/i.test(sha) ? { repository, sha: sha.toLowerCase() } : null;
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * `POST /webhooks/github`: the signature over the raw body is checked first (constant time,
 * by @octokit/webhooks) and a delivery without a good one changes nothing; `ping` is
 * answered; a push is acknowledged at once (GitHub waits 10 s) and carried out after,
 * once per delivery id.
 */
export function createGitHubWebhook(deps: GitHubWebhookDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const webhooks = new Webhooks({ secret: deps.secret });
  const log = deps.logger.child({ component: 'github-webhook' });

  async function verified(body: string, signature: string | undefined): Promise<boolean> {
    if (signature === undefined || body === '') return false;
    try {
      return await webhooks.verify(body, signature);
    } catch {
      return false;
    }
  }

  async function carryOut(delivery: string, push: PushFacts): Promise<void> {
    const key = `github-delivery:${delivery}`;
    try {
      const outcomes = await deps.pushes.deployPush(push, delivery);
      for (const outcome of outcomes) {
        if (outcome.kind === 'ignored') log.info({ delivery, reason: outcome.reason }, 'push deploys nothing');
        else if (outcome.result.ok) log.info({ delivery, app: outcome.app, env: outcome.env, deploymentId: outcome.result.deployment.id }, 'push requested a deploy');
        else log.info({ delivery, app: outcome.app, env: outcome.env, code: outcome.result.code, reason: outcome.result.reason }, 'push deploy refused');
      }
      await deps.ledger.answerRequest(key, { outcomes: outcomes.map((o) => (o.kind === 'ignored' ? o : { app: o.app, env: o.env, ok: o.result.ok })) });
    } catch (error) {
      // Not carried out: a redelivery of the same push may try again.
      log.error({ err: error, delivery }, 'push could not be carried out');
      await deps.ledger.releaseRequest(key).catch(() => undefined);
    }
  }

  /**
   * A check run or commit status changed: deployments waiting for that commit's checks read
   * them again now rather than at their next 15 s poll. Reading again is harmless, so a
   * redelivered one is simply read again: no delivery is claimed.
   */
  async function checksChanged(res: ServerResponse, event: 'check_run' | 'status', body: string): Promise<void> {
    let changed: { repository: string; sha: string } | null;
    try {
      changed = changedCommit(event, JSON.parse(body) as unknown);
    } catch {
      changed = null;
    }
    if (changed === null) return answer(res, 400, { error: `the ${event} payload is not the JSON GitHub sends (content type application/json, with repository.full_name and the commit's SHA)` });
    const due = await deps.checks.commitChanged(changed.repository, changed.sha);
    return answer(res, 202, { ok: true, deployments: due });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === null) return answer(res, 413, { error: 'payload over 25 MB' });
    const signature = req.headers['x-hub-signature-256'];
    if (!(await verified(body, typeof signature === 'string' ? signature : undefined))) {
      log.warn({ delivery: req.headers['x-github-delivery'] }, 'webhook delivery with a missing or wrong signature refused');
      return answer(res, 401, { error: 'missing or wrong X-Hub-Signature-256: sign with the webhook secret set as GITHUB_WEBHOOK_SECRET' });
    }
    const event = req.headers['x-github-event'];
    const delivery = req.headers['x-github-delivery'];
    if (event === 'ping') return answer(res, 200, { ok: true });
    if (event === 'check_run' || event === 'status') return checksChanged(res, event, body);
    if (event !== 'push') return answer(res, 202, { ok: true, ignored: `Hoist acts on push, check_run and status events only, not ${String(event)}` });
    if (typeof delivery !== 'string' || delivery === '') return answer(res, 400, { error: 'X-GitHub-Delivery is missing' });
    let push: PushFacts;
    try {
      push = pushFacts(JSON.parse(body) as PushPayload);
    } catch {
      return answer(res, 400, { error: 'the push payload is not the JSON GitHub sends (content type application/json)' });
    }
    const claim = await deps.ledger.claimRequest(`github-delivery:${delivery}`);
    switch (claim.state) {
      // Carried out before: what it did then, for whoever redelivers it from GitHub's settings.
      case 'answered':
        return answer(res, 200, { ok: true, duplicate: true, ...(claim.answer as object) });
      case 'pending':
        return answer(res, 200, { ok: true, duplicate: true, pending: true });
      case 'unavailable':
        return answer(res, 503, { error: claim.refusal.reason });
      case 'first':
        answer(res, 202, { ok: true });
        await carryOut(delivery, push);
    }
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'webhook delivery failed');
      if (!res.headersSent) answer(res, 500, { error: 'internal error' });
    });
  };
}
