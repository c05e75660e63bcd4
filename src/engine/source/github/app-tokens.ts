import { createAppAuth } from '@octokit/auth-app';
import type { GitHubRepo } from '../../../config/hoist-config.ts';
import type { GitHubApi } from './octokit.ts';

/** Installation tokens last an hour; one is replaced this long before it expires, so no request carries one about to lapse. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface AppTokenOptions {
  /** An Octokit without credentials (its base URL, retries and rate-limit handling are used). */
  octokit: GitHubApi;
  appId: string;
  privateKey: string;
  /** The clock tokens' expiry is judged by (tests move it). */
  now?: () => number;
}

/**
 * A GitHub App's installation tokens, one per installation, each replaced before it
 * expires. The App's JWT and the token exchange are @octokit/auth-app's; when to
 * refresh is decided here, by each token's own `expires_at`.
 */
export function createAppTokens(options: AppTokenOptions) {
  const now = options.now ?? Date.now;
  const auth = createAppAuth({
    appId: options.appId,
    privateKey: options.privateKey,
    request: options.octokit.request,
    log: { warn: () => undefined },
  });
  const installations = new Map<string, number>();
  const tokens = new Map<number, { token: string; expiresAt: number }>();
  const pending = new Map<number, Promise<string>>();

  async function installationOf(repo: GitHubRepo): Promise<number> {
    const key = `${repo.owner}/${repo.repo}`.toLowerCase();
    const known = installations.get(key);
    if (known !== undefined) return known;
    const { token: jwt } = await auth({ type: 'app' });
    const answer = await options.octokit.rest.apps.getRepoInstallation({ owner: repo.owner, repo: repo.repo, headers: { authorization: `bearer ${jwt}` } });
    installations.set(key, answer.data.id);
    return answer.data.id;
  }

  async function fresh(installationId: number): Promise<string> {
    const minted = await auth({ type: 'installation', installationId, refresh: true });
    tokens.set(installationId, { token: minted.token, expiresAt: Date.parse(minted.expiresAt) });
    return minted.token;
  }

  return {
    /** A token for the installation that covers `repo`: the one in hand while it has more than REFRESH_BEFORE_EXPIRY_MS left. */
    async tokenFor(repo: GitHubRepo): Promise<string> {
      const installationId = await installationOf(repo);
      const held = tokens.get(installationId);
      if (held !== undefined && held.expiresAt - now() > REFRESH_BEFORE_EXPIRY_MS) return held.token;
      let minting = pending.get(installationId);
      if (minting === undefined) {
        minting = fresh(installationId).finally(() => pending.delete(installationId));
        pending.set(installationId, minting);
      }
      return minting;
    },
  };
}

export type AppTokens = ReturnType<typeof createAppTokens>;
