import { createHmac, randomUUID } from 'node:crypto';

/** `X-Hub-Signature-256` as GitHub computes it: HMAC-SHA256 of the raw body with the webhook's secret, hex, `sha256=` first. */
export function signGitHubPayload(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface PushOptions {
  repository: string;
  /** The branch pushed (`main`), or a full ref (`refs/tags/v1`). */
  ref: string;
  before?: string;
  after: string;
  forced?: boolean;
  deleted?: boolean;
  pusher?: string;
  message?: string | null;
  defaultBranch?: string;
}

/**
 * A `push` event's payload with the fields of GitHub's documented example
 * (test/fixtures/github/push-tag-deleted.json), shortened where Hoist reads nothing.
 */
export function pushPayload(options: PushOptions) {
  const [owner = '', name = ''] = options.repository.split('/');
  const ref = options.ref.startsWith('refs/') ? options.ref : `refs/heads/${options.ref}`;
  const before = options.before ?? '0'.repeat(40);
  const deleted = options.deleted ?? false;
  const after = deleted ? '0'.repeat(40) : options.after;
  const pusher = options.pusher ?? 'octocat';
  const web = `https://github.com/${options.repository}`;
  const headCommit =
    deleted || options.message === null
      ? null
      : {
          id: after,
          tree_id: after,
          distinct: true,
          message: options.message ?? 'Update',
          timestamp: new Date().toISOString(),
          url: `${web}/commit/${after}`,
          author: { name: pusher, email: `${pusher}@users.noreply.github.com`, username: pusher },
          committer: { name: pusher, email: `${pusher}@users.noreply.github.com`, username: pusher },
          added: [],
          removed: [],
          modified: [],
        };
  const user = { login: pusher, id: 583231, node_id: 'MDQ6VXNlcjU4MzIzMQ==', type: 'User', site_admin: false, html_url: `https://github.com/${pusher}` };
  return {
    ref,
    before,
    after,
    created: /^0{40}$/.test(before),
    deleted,
    forced: options.forced ?? false,
    base_ref: null,
    compare: `${web}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: headCommit === null ? [] : [headCommit],
    head_commit: headCommit,
    repository: {
      id: 186853002,
      node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
      name,
      full_name: options.repository,
      private: true,
      owner: { name: owner, login: owner, id: 21031067, type: 'Organization', site_admin: false },
      html_url: web,
      default_branch: options.defaultBranch ?? 'main',
      master_branch: options.defaultBranch ?? 'main',
    },
    pusher: { name: pusher, email: `${pusher}@users.noreply.github.com` },
    sender: user,
  };
}

export interface Delivery {
  event: string;
  body: string;
  /** `good` (the secret), `none`, `wrong` (another secret), or a signature to send as is. */
  sign?: 'good' | 'none' | 'wrong' | { signature: string };
  delivery?: string;
}

/** Posts a webhook delivery as GitHub does: JSON body, event and delivery headers, the signature. */
export async function deliverWebhook(url: string, secret: string, d: Delivery): Promise<{ status: number; body: string; delivery: string; ms: number }> {
  const delivery = d.delivery ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/abc1234',
    'x-github-event': d.event,
    'x-github-delivery': delivery,
    'x-github-hook-id': '292430182',
  };
  const sign = d.sign ?? 'good';
  if (sign === 'good') headers['x-hub-signature-256'] = signGitHubPayload(d.body, secret);
  else if (sign === 'wrong') headers['x-hub-signature-256'] = signGitHubPayload(d.body, `${secret}-not`);
  else if (typeof sign === 'object') headers['x-hub-signature-256'] = sign.signature;
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: d.body });
  return { status: res.status, body: await res.text(), delivery, ms: performance.now() - started };
}
