import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_PERMISSIONS, checkJwt, createFakeApp, installationToken, type FakeApp } from './app.ts';
import { listCheckRuns, combinedStatus, listStatuses } from './checks.ts';
import { createCommitStatus, createDeployment, createDeploymentStatus, getDeployment, listDeployments, listDeploymentStatuses, type DeploymentStore } from './deployments.ts';
import { gitReader } from './git.ts';
import { error, readBody, send, type Answer } from './http.ts';
import { compare, getCommit, getRepo, pullsOfCommit, type RepoContext } from './repos.ts';
import type { FakeCheckRun, FakeCommitStatus, FakeDeployment, FakePull, FakeRepo, FakeRequest, FakeToken, FakeUser } from './state.ts';

export type { FakeCheckRun, FakeDeployment, FakePull, FakeRequest } from './state.ts';

export interface FakeGitHubOptions {
  /** A personal access token the fake accepts (acting as `tokenUser`). */
  token?: string;
  tokenUser?: string;
  /** Requests per hour per credential (GitHub's primary limit: 5,000 for a token). */
  rateLimit?: number;
  /** How long an installation token lives (GitHub: one hour). */
  installationTokenTtlMs?: number;
  /** The fake clock, ms (installation token expiry, rate-limit windows, timestamps). */
  now?: () => number;
}

export interface FakeGitHub {
  url: string;
  app: FakeApp;
  requests: FakeRequest[];
  deployments: FakeDeployment[];
  commitStatuses: FakeCommitStatus[];
  checkRuns: FakeCheckRun[];
  /** Installation tokens issued, oldest first, with their expiry on the fake clock. */
  issuedTokens: FakeToken[];
  /** Serves the git repository at `dir` as `owner/name`; `installationId`: the App is installed on it. */
  addRepo(fullName: string, dir: string, options?: { installationId?: number; private?: boolean }): void;
  /** A GitHub account whose commits (by email) link to it. */
  addUser(login: string, email: string): void;
  /** The commit `sha` belongs to pull request `pull` (as a merged PR's commits do). */
  linkPull(fullName: string, sha: string, pull: Partial<FakePull> & { number: number; title: string }): void;
  addCheckRun(fullName: string, run: Omit<FakeCheckRun, 'id' | 'repo' | 'started_at' | 'completed_at' | 'app'> & { completed?: boolean }): FakeCheckRun;
  faults: {
    /** The next `count` requests (matching `path` if given) answer a secondary rate limit: 403 with `Retry-After`. */
    secondaryRateLimit(count: number, retryAfterSeconds: number, path?: RegExp): void;
    /** The next `count` requests answer 429 with `Retry-After` (the primary limit as GitHub sometimes answers it). */
    tooManyRequests(count: number, retryAfterSeconds: number, path?: RegExp): void;
    /** The next `count` requests answer `status` (500, 502, 503). */
    failNext(count: number, status: number, path?: RegExp): void;
    /** Every request waits `ms` before it is answered (0: off). */
    latency(ms: number): void;
    /**
     * Every request (matching `path`) fails until `end()`: `server-error` answers 500;
     * `rate-limited` answers the primary limit used up (403, `x-ratelimit-remaining: 0`,
     * `x-ratelimit-reset` `resetAfterS` from the answer, default 1).
     */
    outage(kind: 'server-error' | 'rate-limited', options?: { path?: RegExp; resetAfterS?: number }): { end(): void };
    /**
     * GitHub takes requests (matching `path`) and answers none of them until `end()` (a hung
     * connection, as in an incident): `held()` lists those waiting; `end()` answers them as usual.
     */
    stall(options?: { path?: RegExp }): { held(): FakeRequest[]; end(): void };
  };
  close(): Promise<void>;
}

type Fault = { count: number; path: RegExp | null; answer: () => Answer };

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = options.now ?? Date.now;
  const limit = options.rateLimit ?? 5000;
  const ttl = options.installationTokenTtlMs ?? 60 * 60_000;
  const app = createFakeApp(424_242);
  const repos = new Map<string, FakeRepo>();
  const users = new Map<string, FakeUser>();
  const tokens = new Map<string, FakeToken>();
  const windows = new Map<string, { used: number; resetAt: number }>();
  const requests: FakeRequest[] = [];
  const issuedTokens: FakeToken[] = [];
  const checkRuns: FakeCheckRun[] = [];
  const faults: Fault[] = [];
  const stalls: { path: RegExp | null; held: FakeRequest[]; over: Promise<void>; end: () => void }[] = [];
  let latencyMs = 0;
  let ids = 1000;
  const store: DeploymentStore = { deployments: [], statuses: [], nextId: () => ++ids, now: () => new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const userFor = (login: string): FakeUser => {
    const known = users.get(`login:${login}`);
    if (known) return known;
    const user: FakeUser = { login, id: ++ids, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
    users.set(`login:${login}`, user);
    return user;
  };
  if (options.token) tokens.set(options.token, { token: options.token, actor: userFor(options.tokenUser ?? 'hoist-bot'), expiresAt: null, installationId: null });
  const botUser = userFor(`${app.slug}[bot]`);

  let urls = { api: '', web: 'https://github.com' };

  type Auth = { kind: FakeRequest['auth']; token: FakeToken | null; problem: string | null };
  function authenticate(req: IncomingMessage): Auth {
    const header = req.headers.authorization ?? '';
    const match = /^(?:token|bearer)\s+(.+)$/i.exec(header);
    if (!match?.[1]) return { kind: 'none', token: null, problem: null };
    const credential = match[1].trim();
    if (credential.split('.').length === 3) {
      const problem = checkJwt(app, credential);
      return { kind: problem === null ? 'jwt' : 'bad', token: null, problem };
    }
    const token = tokens.get(credential);
    if (token === undefined || (token.expiresAt !== null && token.expiresAt <= now())) return { kind: 'bad', token: null, problem: 'Bad credentials' };
    return { kind: token.installationId === null ? 'token' : 'installation', token, problem: null };
  }

  /** The primary limit, per credential per hour: the `x-ratelimit-*` headers on every answer, 403 once used up. */
  function rateLimit(key: string): { headers: Record<string, string>; exceeded: boolean } {
    let window = windows.get(key);
    if (window === undefined || window.resetAt <= now()) {
      window = { used: 0, resetAt: now() + 60 * 60_000 };
      windows.set(key, window);
    }
    const exceeded = window.used >= limit;
    if (!exceeded) window.used += 1;
    const headers = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - window.used)),
      'x-ratelimit-used': String(window.used),
      'x-ratelimit-reset': String(Math.ceil(window.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    };
    return { headers, exceeded };
  }

  function takeFault(path: string): Answer | null {
    const fault = faults.find((f) => f.count > 0 && (f.path === null || f.path.test(path)));
    if (!fault) return null;
    fault.count -= 1;
    return fault.answer();
  }

  async function route(req: IncomingMessage, url: URL, auth: Auth): Promise<Answer> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : {};
    if (body === null) return error(400, 'Problems parsing JSON');
    if (path === '/rate_limit') return { status: 200, body: { resources: {}, rate: { limit } } };
    // The App's own endpoints take its JWT only.
    const appRoute = /^\/app(?:\/installations\/(\d+)\/access_tokens)?$/.exec(path);
    const installationRoute = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path);
    if (appRoute || installationRoute) {
      if (auth.kind !== 'jwt') return error(401, auth.problem ?? 'A JSON web token could not be decoded');
      if (installationRoute) {
        const repo = repos.get(`${installationRoute[1]}/${installationRoute[2]}`.toLowerCase());
        if (!repo || repo.installationId === null) return error(404, 'Not Found');
        return { status: 200, body: { id: repo.installationId, app_id: app.id, app_slug: app.slug, target_type: 'Organization', account: { login: repo.owner }, permissions: APP_PERMISSIONS, events: ['push'], repository_selection: 'selected' } };
      }
      if (appRoute?.[1] === undefined) return { status: 200, body: { id: app.id, slug: app.slug, name: 'Hoist (test)', permissions: APP_PERMISSIONS } };
      if (method !== 'POST') return error(404, 'Not Found');
      const installationId = Number(appRoute[1]);
      if (![...repos.values()].some((r) => r.installationId === installationId)) return error(404, 'Not Found');
      const token: FakeToken = { token: installationToken(), actor: botUser, expiresAt: now() + ttl, installationId };
      tokens.set(token.token, token);
      issuedTokens.push(token);
      return { status: 201, body: { token: token.token, expires_at: new Date(token.expiresAt ?? 0).toISOString().replace(/\.\d{3}Z$/, 'Z'), permissions: APP_PERMISSIONS, repository_selection: 'selected' } };
    }
    const repoRoute = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!repoRoute) return error(404, 'Not Found');
    const repo = repos.get(`${repoRoute[1]}/${repoRoute[2]}`.toLowerCase());
    // GitHub answers 404, not 403, for a private repository the credential cannot see.
    if (!repo || (repo.private && auth.token === null) || (auth.token?.installationId != null && auth.token.installationId !== repo.installationId)) return error(404, 'Not Found');
    const rest = repoRoute[3] ?? '';
    const ctx: RepoContext = { repo, users, owner: userFor(repo.owner), urls, url };
    const actor = auth.token?.actor ?? userFor('anonymous');
    const dctx = { repo, actor, urls, url, store };
    const writes = method === 'POST';
    if (writes && auth.token === null) return error(401, 'Requires authentication');
    let m: RegExpExecArray | null;
    if (rest === '' && method === 'GET') return getRepo(ctx);
    if ((m = /^\/compare\/(.+)$/.exec(rest)) && method === 'GET') return compare(ctx, decodeURIComponent(m[1] ?? ''));
    if ((m = /^\/commits\/([^/]+)\/pulls$/.exec(rest)) && method === 'GET') return pullsOfCommit(ctx, m[1] ?? '');
    if ((m = /^\/commits\/([^/]+)\/status$/.exec(rest)) && method === 'GET') return combinedStatus({ ...dctx, checkRuns }, m[1] ?? '');
    if ((m = /^\/commits\/([^/]+)\/statuses$/.exec(rest)) && method === 'GET') return listStatuses({ ...dctx, checkRuns }, m[1] ?? '');
    if ((m = /^\/commits\/([^/]+)\/check-runs$/.exec(rest)) && method === 'GET') return listCheckRuns({ ...dctx, checkRuns }, m[1] ?? '');
    if ((m = /^\/commits\/([^/]+)$/.exec(rest)) && method === 'GET') return getCommit(ctx, decodeURIComponent(m[1] ?? ''));
    if ((m = /^\/statuses\/([^/]+)$/.exec(rest)) && writes) return createCommitStatus(dctx, m[1] ?? '', body);
    if (rest === '/deployments') return writes ? createDeployment(dctx, body) : listDeployments(dctx);
    if ((m = /^\/deployments\/(\d+)$/.exec(rest)) && method === 'GET') return getDeployment(dctx, m[1] ?? '');
    if ((m = /^\/deployments\/(\d+)\/statuses$/.exec(rest))) return writes ? createDeploymentStatus(dctx, m[1] ?? '', body) : listDeploymentStatuses(dctx, m[1] ?? '');
    return error(404, 'Not Found');
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', urls.api);
      const auth = authenticate(req);
      const entry: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), auth: auth.kind, status: 0, body: null, at: now() };
      requests.push(entry);
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      const stall = stalls.find((st) => st.path === null || st.path.test(url.pathname));
      if (stall) {
        stall.held.push(entry);
        await stall.over;
      }
      const limited = rateLimit(auth.token?.token ?? `ip:${req.socket.remoteAddress ?? ''}`);
      let answer: Answer;
      if (auth.kind === 'bad' && auth.problem === 'Bad credentials') answer = error(401, 'Bad credentials');
      else answer = takeFault(url.pathname) ?? (limited.exceeded ? rateLimited(auth) : await route(req, url, auth));
      answer = { ...answer, headers: { ...limited.headers, ...answer.headers } };
      entry.status = answer.status;
      entry.body = answer.body ?? null;
      send(res, answer);
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  urls = { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, web: 'https://github.com' };

  return {
    url: urls.api,
    app,
    requests,
    deployments: store.deployments,
    commitStatuses: store.statuses,
    checkRuns,
    issuedTokens,
    addRepo(fullName, dir, repoOptions = {}) {
      const [owner = '', name = ''] = fullName.split('/');
      repos.set(fullName.toLowerCase(), { owner, name, id: ++ids, git: gitReader(dir), private: repoOptions.private ?? true, installationId: repoOptions.installationId ?? null, pulls: new Map() });
    },
    addUser(login, email) {
      users.set(email.toLowerCase(), userFor(login));
    },
    linkPull(fullName, sha, pull) {
      const repo = repos.get(fullName.toLowerCase());
      if (!repo) throw new Error(`the fake holds no repository ${fullName}`);
      repo.pulls.set(sha, [...(repo.pulls.get(sha) ?? []), { state: 'closed', merged: true, user: 'octocat', ...pull }]);
    },
    addCheckRun(fullName, run) {
      const at = store.now();
      const { completed, ...fields } = run;
      const made: FakeCheckRun = { id: ++ids, repo: fullName, ...fields, started_at: at, completed_at: completed === false ? null : at, app: { slug: 'ci' } };
      checkRuns.push(made);
      return made;
    },
    faults: {
      secondaryRateLimit(count, retryAfter, path) {
        faults.push({ count, path: path ?? null, answer: () => ({ ...error(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.'), headers: { 'retry-after': String(retryAfter) } }) });
      },
      tooManyRequests(count, retryAfter, path) {
        faults.push({ count, path: path ?? null, answer: () => ({ ...error(429, 'API rate limit exceeded.'), headers: { 'retry-after': String(retryAfter) } }) });
      },
      failNext(count, status, path) {
        faults.push({ count, path: path ?? null, answer: () => error(status, status === 502 ? 'Server Error' : 'Service Unavailable') });
      },
      latency(ms) {
        latencyMs = ms;
      },
      outage(kind, outageOptions = {}) {
        const answer = (): Answer => {
          if (kind === 'server-error') return error(500, 'Server Error');
          const reset = Math.ceil(now() / 1000 + (outageOptions.resetAfterS ?? 1));
          return { ...error(403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.'), headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } };
        };
        const fault: Fault = { count: Number.POSITIVE_INFINITY, path: outageOptions.path ?? null, answer };
        faults.unshift(fault);
        return {
          end() {
            fault.count = 0;
          },
        };
      },
      stall(stallOptions = {}) {
        let release = () => {};
        const over = new Promise<void>((resolve) => {
          release = resolve;
        });
        const stall = { path: stallOptions.path ?? null, held: [] as FakeRequest[], over, end: release };
        stalls.unshift(stall);
        return {
          held: () => stall.held.filter((r) => r.status === 0),
          end() {
            stalls.splice(stalls.indexOf(stall), 1);
            release();
          },
        };
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function rateLimited(auth: { token: FakeToken | null }): Answer {
  const who = auth.token === null ? 'this IP address' : auth.token.installationId === null ? `user ID ${auth.token.actor.id}` : `installation ID ${auth.token.installationId}`;
  return error(403, `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID.`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
