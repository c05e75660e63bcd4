import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, appYaml, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-locks-queue';
const SECRET = 'locks-queue-secret';
const LOCKS = 'C0LOCKS';
const QUEUE = 'C0QUEUE';
const SUPER = 'C0SUPER';
const ASK = 'C0ASK';

interface DeploymentItem {
  id: number;
  app: string;
  env: string;
  action: string;
  status: string;
  reason: string | null;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  requestedBy: { id: string; name: string };
  trigger: string;
}

describe('locks, the visible queue, cancel, where and history', () => {
  const app = randomName('lq');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  let mainSha: string;
  let slowSha: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-locks-queue');
    mainSha = repo.commit('v1', webAppFiles(`hello ${app}`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    // Healthy only after a few seconds: the deployment keeps its environment busy meanwhile.
    slowSha = repo.commit('slow start', {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nCMD ["/bin/busybox", "sh", "-c", "sleep 6; exec /bin/busybox httpd -f -p 8080 -h /www"]\n`,
    });
    // Other versions to queue: identical requests waiting at once would be one deployment.
    for (const branch of ['two', 'three']) {
      repo.git('checkout', '--quiet', '-b', branch, 'main');
      repo.commit(branch, webAppFiles(`hello ${app} ${branch}`));
    }
    repo.git('checkout', '--quiet', 'main');
    const port = await freePort();
    slack = await startFakeSlack({
      token: TOKEN,
      rateLimitPerChannelPerSecond: 0,
      userGroups: [
        { id: 'S0RELEASE', handle: 'release', users: ['U0DAVE', 'U0ERIN'] },
        { id: 'S0OTHER', handle: 'other', users: ['U0BOB'] },
      ],
    });
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 30s } }
    environments:
      prod: { target: engine, expose: { web: ${port} }, deployers: [U0ALICE, U0CAROL, "@release"], lock: { ttl: 1h } }
      q: { target: engine }
      sup: { target: engine, queue: { supersede: true } }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
    chat = slackUser({ baseUrl: hoist.baseUrl, slack, secret: SECRET, channel: LOCKS });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** Sends a signed `/hoist` command; resolves with the ephemeral answer (immediate or through the response_url). */
  async function slash(text: string, options: { user: string; channel: string }): Promise<string> {
    const sent = await chat.slash(text, options);
    expect(sent.res.status).toBe(200);
    return chat.replyText(sent, 20_000);
  }

  /** Sends a deploy and resolves with its deployment id, once its card is in the channel. */
  async function deploy(text: string, options: { user: string; channel: string }): Promise<number> {
    const before = cards(options.channel).length;
    await sendOnly(text, options);
    const card = await slack.waitFor((s) => cardsIn(s, options.channel)[before], 20_000);
    return Number(/#(\d+)/.exec(card.text)![1]);
  }

  async function sendOnly(text: string, options: { user: string; channel: string }): Promise<void> {
    expect((await chat.slash(text, { ...options, scoped: false })).res.status).toBe(200);
  }

  const cardsIn = (s: FakeSlack, channel: string) => s.messages.filter((m) => m.channel === channel && m.threadTs === null && /· #\d+/.test(m.text));
  const cards = (channel: string) => cardsIn(slack, channel);
  const cardOf = (id: number) => slack.messages.find((m) => m.threadTs === null && m.text.includes(`· #${id}:`));
  const versions = (card: FakeMessage) => card.history.map((v) => JSON.stringify(v.blocks));
  const positionsShown = (id: number) =>
    versions(cardOf(id)!)
      .map((v) => /position (\d+) in the queue/.exec(v)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number)
      .filter((p, i, all) => i === 0 || all[i - 1] !== p);
  const cardReaches = (id: number, status: string) =>
    slack.waitFor((s) => {
      const card = s.messages.find((m) => m.threadTs === null && m.text.includes(`· #${id}:`));
      return card && card.text.endsWith(`: ${status}`) ? card : null;
    }, 90_000);
  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await hoist.api(`${path}`);
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: (type.includes('json') ? await res.json() : await res.text()) as T };
  };
  const deploymentOf = async (id: number) => (await api<DeploymentItem>(`/deployments/${id}`)).body;
  const started = (id: number) => eventually(async () => (await deploymentOf(id)).startedAt !== null, 30_000, `#${id} to start`);
  const lockState = async () =>
    (await api<{ lock: { owner: { id: string }; reason: string | null; expiresAt: string | null } | null; history: { action: string; owner: { id: string }; by: { id: string } | null; at: string }[] }>(`/apps/${app}/environments/prod/lock`)).body;

  it('a lock refuses another user’s deploy with who, why and since, and lets its owner deploy', async () => {
    const taken = await slash(`lock ${app} in prod --reason "incident 42"`, { user: 'U0ALICE', channel: LOCKS });
    expect(taken).toMatch(/You locked \*.*prod\*.*incident 42/);

    // Bob is not one of prod's deployers at all; Dave is, through the @release user group.
    expect(await slash(`deploy ${app} to prod`, { user: 'U0BOB', channel: LOCKS })).toMatch(
      /only prod's deployers may deploy .* in prod: U0ALICE, U0CAROL, @release/,
    );
    expect(await slash(`deploy ${app} to prod`, { user: 'U0DAVE', channel: LOCKS })).toMatch(/is locked by @u0alice/);
    const refused = await slash(`deploy ${app} to prod`, { user: 'U0CAROL', channel: LOCKS });
    expect(refused).toMatch(new RegExp(`${app} in prod is locked by @u0alice since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: "incident 42"`));
    expect(refused).toMatch(/only @u0alice can act there until it is unlocked or lapses at/);
    expect((await api<{ items: unknown[] }>(`/deployments?app=${app}&env=prod`)).body.items).toEqual([]);

    const environment = (await api<Record<string, unknown>>(`/apps/${app}/environments/prod`)).body;
    expect(environment).toMatchObject({ lock: { kind: 'manual', owner: { id: 'U0ALICE', name: 'u0alice' }, reason: 'incident 42' } });
    // lock.ttl of prod is the default length.
    const lock = environment.lock as { since: string; expiresAt: string };
    expect(Date.parse(lock.expiresAt) - Date.parse(lock.since)).toBe(3_600_000);

    const mine = await deploy(`deploy ${app} to prod`, { user: 'U0ALICE', channel: LOCKS });
    // Someone else's deployment is called off only by a deployer.
    expect(await slash(`cancel #${mine}`, { user: 'U0BOB', channel: LOCKS })).toMatch(
      new RegExp(`only whoever requested #${mine} \\(u0alice\\) or prod's deployers may cancel it`),
    );
    await cardReaches(mine, 'DEPLOYED');
  });

  it('an unlock by someone else is refused; --force needs a deployer and is recorded and announced', async () => {
    expect(await slash(`unlock ${app} in prod`, { user: 'U0BOB', channel: LOCKS })).toMatch(
      /is locked by @u0alice .*only @u0alice can unlock it, or a deployer of prod with `unlock .* in prod --force`/,
    );
    expect(await slash(`unlock ${app} in prod --force`, { user: 'U0BOB', channel: LOCKS })).toMatch(/only prod's deployers may force an unlock .*: U0ALICE, U0CAROL, @release/);
    expect((await lockState()).lock).not.toBeNull();

    const forced = await slash(`unlock ${app} in prod --force`, { user: 'U0CAROL', channel: LOCKS });
    expect(forced).toMatch(/You force-unlocked \*.* in prod\*, locked by <@U0ALICE>/);
    const announced = await slack.waitFor((s) => s.messages.find((m) => m.channel === LOCKS && m.text.includes('force-unlocked')), 10_000);
    expect(announced.text).toMatch(/<@U0CAROL> force-unlocked .* locked by <@U0ALICE>.*incident 42/);

    const state = await lockState();
    expect(state.lock).toBeNull();
    expect(state.history[0]).toMatchObject({ action: 'forced', owner: { id: 'U0ALICE' }, by: { id: 'U0CAROL' } });
    expect(Date.parse(state.history[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(state.history.map((h) => h.action)).toEqual(['forced', 'taken']);
  });

  it('a lock with a TTL reminds its owner first, then lapses and is announced', async () => {
    expect(await slash(`lock ${app} in prod --reason "deploy freeze" --ttl 2h`, { user: 'U0ALICE', channel: LOCKS })).toMatch(/at most 1h .*`--ttl 1h` or less/);

    const taken = await slash(`lock ${app} in prod --reason "short one" --ttl 3s`, { user: 'U0ALICE', channel: LOCKS });
    expect(taken).toMatch(/You locked .*short one.*until/);
    const reminder = await slack.waitFor((s) => s.messages.find((m) => m.channel === 'U0ALICE' && m.text.includes('lapses')), 15_000);
    expect(reminder.text).toMatch(/Your lock on \*.*\* in \*prod\* \(_short one_\) lapses in \d+s/);
    expect(reminder.text).toContain(`/hoist lock ${app} in prod --reason "short one"`);
    const lapsed = await slack.waitFor((s) => s.messages.find((m) => m.channel === LOCKS && m.text.includes('lapsed')), 15_000);
    expect(lapsed.text).toMatch(/The lock of <@U0ALICE> on .* lapsed; the environment is free again/);
    expect(reminder.postedAt.getTime()).toBeLessThanOrEqual(lapsed.postedAt.getTime());

    const state = await lockState();
    expect(state.lock).toBeNull();
    expect(state.history[0]).toMatchObject({ action: 'expired', by: null, owner: { id: 'U0ALICE' } });
  });

  it('an automatic deploy stopped by a lock is skipped and announced in the channel', async () => {
    await slash(`lock ${app} in prod --reason "hotfix by hand"`, { user: 'U0ALICE', channel: LOCKS });
    const result = await hoist.hoist.api.request(
      { verb: 'deploy', scope: { app, services: null }, env: 'prod', ref: null },
      { requester: { id: 'github:push', name: 'github' }, origin: { kind: 'none' }, trigger: 'webhook' },
    );
    expect(result).toMatchObject({ ok: false, code: 'LOCKED' });
    expect(!result.ok && result.reason).toMatch(/automatic deploy skipped: .* in prod is locked by @u0alice/);
    const skipped = await slack.waitFor((s) => s.messages.find((m) => m.channel === LOCKS && m.text.includes('skipped')), 10_000);
    expect(skipped.text).toMatch(/Automatic deploy of \*.*\* in \*prod\* skipped: it is locked by <@U0ALICE> .*hotfix by hand/);
    expect(await slash(`unlock ${app} in prod`, { user: 'U0ALICE', channel: LOCKS })).toMatch(/Unlocked \*.* in prod\*/);
  });

  it('deploys waiting behind a running one show positions 1, 2, 3; cancel removes one and the others move up', async () => {
    const running = await deploy(`deploy ${app}@slow to q`, { user: 'U0ALICE', channel: QUEUE });
    await started(running);
    const first = await deploy(`deploy ${app} to q`, { user: 'U0BOB', channel: QUEUE });
    const second = await deploy(`deploy ${app}@two to q`, { user: 'U0BOB', channel: QUEUE });
    const third = await deploy(`deploy ${app}@three to q`, { user: 'U0CAROL', channel: QUEUE });
    expect(positionsShown(first)[0]).toBe(1);
    expect(positionsShown(second)[0]).toBe(2);
    expect(positionsShown(third)[0]).toBe(3);

    const queue = (await api<{ queue: { id: number; position: number | null; requestedBy: { id: string } }[] }>(`/apps/${app}/environments/q`)).body.queue;
    expect(queue.map((q) => q.id)).toEqual([running, first, second, third]);
    expect(queue.map((q) => q.position)).toEqual([null, 1, 2, 3]);
    expect(queue[3]?.requestedBy.id).toBe('U0CAROL');

    expect(await slash(`cancel #${second}`, { user: 'U0BOB', channel: QUEUE })).toMatch(new RegExp(`Canceled #${second} \\(deploy .* to q\\); it had not started`));
    const canceled = await cardReaches(second, 'CANCELED');
    await slack.waitFor((s) => s.thread(QUEUE, canceled.ts).some((m) => m.text.includes(`#${second} CANCELED`) && m.text.includes('canceled by @u0bob')), 10_000);
    // The third moves up to 2 now, and to 1 once the first starts.
    await slack.waitFor(() => positionsShown(third).includes(2), 20_000);

    await cardReaches(third, 'DEPLOYED');
    expect(positionsShown(first)).toEqual([1]);
    expect(positionsShown(third)).toEqual([3, 2, 1]);
    for (const id of [running, first]) expect((await deploymentOf(id)).status).toBe('DEPLOYED');
    expect(await deploymentOf(second)).toMatchObject({ status: 'CANCELED', reason: 'canceled by @u0bob', startedAt: null });
    expect(Date.parse(String((await deploymentOf(third)).startedAt))).toBeGreaterThanOrEqual(Date.parse(String((await deploymentOf(first)).finishedAt)));

    expect(await slash(`cancel #${second}`, { user: 'U0BOB', channel: QUEUE })).toMatch(new RegExp(`#${second} already ended CANCELED`));
    expect(await slash(`cancel ${app} in q`, { user: 'U0BOB', channel: QUEUE })).toMatch(/nothing runs or waits in .* in q/);
  });

  it('a deploy that waited while someone else locked the environment ends CANCELED when its turn comes', async () => {
    const running = await deploy(`deploy ${app}@slow to q`, { user: 'U0ALICE', channel: QUEUE });
    await started(running);
    const waiting = await deploy(`deploy ${app} to q`, { user: 'U0BOB', channel: QUEUE });
    await slash(`lock ${app} in q --reason "checking the data"`, { user: 'U0ALICE', channel: QUEUE });
    const held = await cardReaches(waiting, 'CANCELED');
    expect(JSON.stringify(held.blocks)).toMatch(/is locked by @u0alice since .*checking the data/);
    expect(await deploymentOf(running)).toMatchObject({ status: 'DEPLOYED' });
    expect(await deploymentOf(waiting)).toMatchObject({ status: 'CANCELED', startedAt: null });
    await slash(`unlock ${app} in q`, { user: 'U0ALICE', channel: QUEUE });
  });

  it('with queue.supersede, a newer deploy of the same scope replaces a waiting one, and both threads say so', async () => {
    const running = await deploy(`deploy ${app}@slow to sup`, { user: 'U0ALICE', channel: SUPER });
    await started(running);
    const older = await deploy(`deploy ${app} to sup`, { user: 'U0ALICE', channel: SUPER });
    const newer = await deploy(`deploy ${app}@two to sup`, { user: 'U0BOB', channel: SUPER });
    // Another scope (one service named) is a different request: it waits behind.
    const other = await deploy(`deploy ${app}/web to sup`, { user: 'U0BOB', channel: SUPER });

    const replaced = await cardReaches(older, 'CANCELED');
    await slack.waitFor((s) => s.thread(SUPER, replaced.ts).some((m) => new RegExp(`^#${older} CANCELED.* — superseded by #${newer}$`).test(m.text)), 10_000);
    const newerCard = cardOf(newer)!;
    await slack.waitFor((s) => s.thread(SUPER, newerCard.ts).some((m) => m.text.includes(`supersedes #${older}`)), 10_000);
    expect(await deploymentOf(older)).toMatchObject({ status: 'CANCELED', reason: `superseded by #${newer}` });

    await cardReaches(other, 'DEPLOYED');
    for (const id of [running, newer, other]) expect((await deploymentOf(id)).status).toBe('DEPLOYED');
  });

  it('`where` shows every environment with status, versions, lock and queue; `history` the latest deployments', async () => {
    await slash(`lock ${app} in prod --reason "release train"`, { user: 'U0CAROL', channel: ASK });
    const where = await slash(`where ${app}`, { user: 'U0BOB', channel: ASK });
    expect(where.split('\n')).toEqual(['prod: DEPLOYED (locked)', 'q: DEPLOYED', 'sup: DEPLOYED']);
    const whereBlocks = JSON.stringify(slack.responses.at(-1)?.body.blocks);
    expect(whereBlocks).toContain(`web \`${mainSha.slice(0, 7)}\``);
    expect(whereBlocks).toMatch(/:lock: locked by <@U0CAROL> since <!date\^\d+\^[^|]+\|[^>]+>: _release train_/);

    const history = await slash(`history ${app} in q`, { user: 'U0BOB', channel: ASK });
    const inQ = (await api<{ items: DeploymentItem[] }>(`/deployments?app=${app}&env=q`)).body.items;
    expect(inQ.map((d) => d.status)).toEqual(['CANCELED', 'DEPLOYED', 'DEPLOYED', 'CANCELED', 'DEPLOYED', 'DEPLOYED']);
    expect(history.split('\n')).toEqual(inQ.map((d) => `#${d.id} deploy ${app}/q: ${d.status}`));
    const historyBlocks = JSON.stringify(slack.responses.at(-1)?.body.blocks);
    expect(historyBlocks).toContain(`\`${slowSha.slice(0, 7)}\``);
    expect(historyBlocks).toContain('canceled by @u0bob');

    const total = (await api<{ items: DeploymentItem[] }>(`/deployments?app=${app}&limit=100`)).body.items;
    const all = await slash(`history ${app}`, { user: 'U0BOB', channel: ASK });
    expect(all.split('\n')).toEqual(total.slice(0, 10).map((d) => `#${d.id} deploy ${app}/${d.env}: ${d.status}`));
    expect(await slash('history nosuchapp', { user: 'U0BOB', channel: ASK })).toMatch(/there is no app "nosuchapp"/);
    await slash(`unlock ${app} in prod`, { user: 'U0CAROL', channel: ASK });
  });

  it('the HTTP API lists deployments newest first with cursor paging and filters, refuses bad filters, and exports and diffs deployment sets', async () => {
    const all = (await api<{ items: DeploymentItem[]; nextCursor: string | null }>(`/deployments?app=${app}&limit=100`)).body;
    expect(all.nextCursor).toBeNull();
    expect(all.items.length).toBeGreaterThanOrEqual(11);
    expect(all.items.map((d) => d.id)).toEqual([...all.items.map((d) => d.id)].sort((a, b) => b - a));
    const sample = all.items.at(-1)!;
    expect(sample).toMatchObject({ app, env: 'prod', action: 'deploy', status: 'DEPLOYED', trigger: 'chat', requestedBy: { id: 'U0ALICE', name: 'u0alice' } });
    for (const key of ['requestedAt', 'startedAt', 'finishedAt'] as const) expect(Date.parse(String(sample[key]))).not.toBeNaN();

    const paged: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { items: DeploymentItem[]; nextCursor: string | null } } = await api(
        `/deployments?app=${app}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.body.items.map((d) => d.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(paged).toEqual(all.items.map((d) => d.id));
    expect(pages).toBe(Math.ceil(all.items.length / 3));

    const canceled = (await api<{ items: DeploymentItem[] }>(`/deployments?app=${app}&env=q&status=CANCELED`)).body.items;
    expect(canceled.map((d) => d.reason)).toEqual([expect.stringMatching(/is locked by @u0alice/), 'canceled by @u0bob']);
    const superseded = (await api<{ items: DeploymentItem[] }>(`/deployments?app=${app}&status=canceled,BUILD_ERROR&env=sup`)).body.items;
    // The action filter, in any case: here every deployment is a deploy.
    const deploys = (await api<{ items: DeploymentItem[] }>(`/deployments?app=${app}&action=DEPLOY`)).body.items;
    expect(deploys.length).toBeGreaterThan(0);
    expect(new Set(deploys.map((d) => d.action))).toEqual(new Set(['deploy']));
    expect((await api<{ items: DeploymentItem[] }>(`/deployments?app=${app}&action=stop,rollback`)).body.items).toEqual([]);
    expect(superseded.map((d) => d.reason)).toEqual([expect.stringMatching(/^superseded by #\d+$/)]);

    for (const [query, message] of [
      ['status=NOPE', /status: "NOPE" is not a status; use one or more .*DEPLOYED/],
      ['limit=0', /limit: expected a whole number from 1 to 100/],
      ['limit=abc', /limit: expected a whole number from 1 to 100/],
      ['cursor=not-a-cursor', /cursor: not a cursor this API gave out/],
      ['app=nosuchapp', new RegExp(`app: there is no app "nosuchapp"; known apps: ${app}`)],
      [`app=${app}&env=nowhere`, /env: there is no environment "nowhere" in app .*; known environments: prod, q, sup/],
      ['action=launch', /action: "launch" is not an action; use one or more \(comma-separated\) of deploy, redeploy, rollback, stop, restart/],
      ['sort=id', /unknown filter "sort"; filters: app, env, status, action, limit, cursor/],
    ] as const) {
      const res = await api<{ error: { code: string; message: string } }>(`/deployments?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
      expect(res.body.error.message).toMatch(message);
    }

    // In q: the slow one ran first, then deploys of the branch head.
    const inQ = all.items.filter((d) => d.env === 'q');
    const slow = inQ.at(-1)!;
    const fast = inQ.at(-2)!;
    expect([slow.status, fast.status]).toEqual(['DEPLOYED', 'DEPLOYED']);
    const manifests = await api<{ deploymentId: number; app: string; env: string; set: { target: string; services: { name: string; version: string }[] } }>(
      `/deployments/${slow.id}/manifests`,
    );
    expect(manifests.status).toBe(200);
    expect(manifests.body).toMatchObject({ deploymentId: slow.id, app, env: 'q', set: { target: 'engine', services: [{ name: 'web', version: slowSha }] } });

    const diff = await api<{ from: number; to: number; changes: { path: string; kind: string; before: unknown; after: unknown }[]; unified: string }>(
      `/deployments/${fast.id}/diff?against=${slow.id}`,
    );
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({ from: slow.id, to: fast.id });
    expect(diff.body.changes).toContainEqual(expect.objectContaining({ path: 'services[web].version', kind: 'changed', before: slowSha, after: mainSha }));
    expect(diff.body.unified).toMatch(new RegExp(`^--- #${slow.id}\\n\\+\\+\\+ #${fast.id}\\n@@ `));
    expect(diff.body.unified).toContain(`-      "version": "${slowSha}"`);
    expect(diff.body.unified).toContain(`+      "version": "${mainSha}"`);
    const text = await hoist.api(`/deployments/${fast.id}/diff?against=${slow.id}&format=unified`);
    expect(text.headers.get('content-type')).toMatch(/^text\/x-diff/);
    expect(await text.text()).toBe(diff.body.unified);
    const same = await api<{ changes: unknown[]; unified: string }>(`/deployments/${fast.id}/diff?against=${fast.id}`);
    expect(same.body).toMatchObject({ changes: [], unified: '' });

    expect((await api(`/deployments/${fast.id}/diff`)).status).toBe(400);
    expect((await api(`/deployments/${fast.id}/diff?against=999999`)).status).toBe(404);
    expect((await api('/deployments/999999/manifests')).status).toBe(404);
  });
});

describe('lock, where, history and unlock in the terminal chat', () => {
  const app = randomName('lqsh');
  let hoist: TestHoist;
  const output = new PassThrough();
  let printed = '';

  beforeAll(async () => {
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const input = new PassThrough();
    hoist = await startTestHoist({
      yaml: appYaml({ app, repo: '/nonexistent', env: 'local', port: await freePort() }),
      shell: { input, output, interactive: false, user: 'tester' },
    });
    input.end(
      [`lock ${app} in local --reason "demo day" --ttl 1h`, `where ${app}`, `history ${app}`, `cancel ${app} in local`, `unlock ${app} in local`].join('\n') + '\n',
    );
  });

  afterAll(async () => {
    await hoist?.stop();
  });

  it('answers each command as text', async () => {
    // The cancel finds nothing to cancel: a refused command makes the exit code 1.
    expect(await hoist.hoist.shellDone).toBe(1);
    const lines = printed.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^You locked ${app} in local \\("demo day"\\) until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\((1h 00m|59m \\d\\ds)\\); you'll be reminded shortly before`)));
    expect(printed).toContain(`where ${app} runs:`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}○ local {2}NEVER_DEPLOYED {2}web —$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}locked by @tester since .* UTC: "demo day" \(lapses .* UTC, in \d+m \d\ds\)$/));
    expect(printed).toContain(`No deployments of ${app} yet.`);
    expect(printed).toContain(`nothing runs or waits in ${app} in local; there is nothing to cancel.`);
    expect(printed).toContain(`Unlocked ${app} in local.`);
  });
});
