import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { lookupManifest } from '../../src/engine/build/registry-manifest.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { pushOver, removeAppContainers, testDocker } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, freePort, httpText, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-test-token';
const SECRET = 'test-signing-secret';
const CHANNEL = 'C0ACTIONS';

/** A web app answering `marker` on /, with a volume (to see that a stop keeps it). */
function web(marker: string, dir = ''): Record<string, string> {
  return {
    [`${dir}Dockerfile`]: `FROM ${BASE_IMAGE}\nCOPY www /www\nVOLUME /data\nEXPOSE 8080\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    [`${dir}www/index.html`]: `${marker}\n`,
  };
}

interface DeploymentJson {
  id: number;
  action: string;
  status: string;
  reason: string | null;
  finishedAt: string | null;
  services: { name: string; status: string; version: string | null; reason: string | null }[];
}

describe('every deployment action from Slack, on a real container engine', () => {
  const shop = randomName('act'); // deploy, redeploy, restart, stop and refusals
  const back = randomName('rbk'); // rollback
  const pair = randomName('onf'); // onFailure: rollback
  const fresh = randomName('new'); // never deployed
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;
  let pairRepo: GitFixture;
  const ports: Record<string, number> = {};
  let v1: string;
  let v2: string;
  let pairV1: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-actions-repo');
    v1 = repo.commit('v1', web('hello v1'));
    repo.git('checkout', '--quiet', '-b', 'v2');
    v2 = repo.commit('v2', web('hello v2'));
    repo.git('checkout', '--quiet', 'main');

    pairRepo = createGitFixture('hoist-actions-pair');
    pairV1 = pairRepo.commit('v1', { ...web('first v1', 'first/'), ...web('second v1', 'second/') });
    pairRepo.git('checkout', '--quiet', '-b', 'half');
    pairRepo.commit('first v2, second never healthy', {
      ...web('first v2', 'first/'),
      'second/Dockerfile': `FROM ${BASE_IMAGE}\nCMD ["/bin/busybox", "sleep", "600"]\n`,
    });
    pairRepo.git('checkout', '--quiet', 'main');

    for (const name of ['shop', 'back', 'first', 'second', 'fresh']) ports[name] = await freePort();
    const service = (context: string, timeout = '20s') =>
      `{ type: application, build: { context: ${context} }, port: 8080, health: { path: /, timeout: ${timeout} } }`;
    const yaml = `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${shop}:
    repo: ${repo.dir}
    services: { web: ${service('.')} }
    environments: { e2e: { target: engine, expose: { web: ${ports.shop} } } }
  ${back}:
    repo: ${repo.dir}
    services: { web: ${service('.')} }
    environments: { e2e: { target: engine, expose: { web: ${ports.back} } } }
  ${pair}:
    repo: ${pairRepo.dir}
    services: { first: ${service('first')}, second: ${service('second', '3s')} }
    environments: { e2e: { target: engine, onFailure: rollback, expose: { first: ${ports.first}, second: ${ports.second} } } }
  ${fresh}:
    repo: ${repo.dir}
    services: { web: ${service('.')} }
    environments: { e2e: { target: engine, expose: { web: ${ports.fresh} } } }
`;
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({ yaml, slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET } });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    for (const app of [shop, back, pair, fresh]) await removeAppContainers(app);
    repo?.remove();
    pairRepo?.remove();
  });

  async function slash(text: string, user = 'U0ALICE') {
    const body = slashCommandBody({
      command: '/hoist',
      text,
      userId: user,
      channelId: CHANNEL,
      responseUrl: slack.responseUrl(`r-${Math.random().toString(16).slice(2)}`, { channel: CHANNEL, userId: user }),
    });
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) };
    const res = await fetch(`${hoist.baseUrl}/slack/events`, { method: 'POST', headers, body });
    return { status: res.status, body: await res.text() };
  }

  const api = async <T>(path: string): Promise<T> => (await (await hoist.api(`${path}`)).json()) as T;

  async function newestId(app: string): Promise<number | null> {
    const page = await api<{ items: { id: number }[] }>(`/deployments?app=${app}&limit=1`);
    return page.items[0]?.id ?? null;
  }

  /** Sends the command and waits until the deployment it created has finished. */
  async function act(text: string, app: string, timeoutMs = 60_000, expectError = false): Promise<DeploymentJson> {
    const before = await newestId(app);
    const ack = await slash(text);
    expect(ack.status).toBe(200);
    const id = await eventually(async () => {
      const newest = await newestId(app);
      return newest !== null && newest !== before ? newest : null;
    }, 10_000, `a deployment from "${text}"`);
    const done = await eventually(async () => {
      const d = await api<DeploymentJson>(`/deployments/${id}`);
      return d.finishedAt ? d : null;
    }, timeoutMs, `#${id} to finish`);
    if (done.status.endsWith('_ERROR') && !expectError) console.error(`#${id} "${text}" ended ${done.status}: ${done.reason}\n${threadText(id)}`);
    return done;
  }

  /** The ephemeral answer to a refused command: in the ack, or through the response_url after it. */
  async function refusal(text: string, pattern: RegExp): Promise<string> {
    const res = await slash(text);
    expect(res.status).toBe(200);
    if (res.body.trim().startsWith('{')) {
      const parsed = JSON.parse(res.body) as { response_type?: string; text?: string };
      if (parsed.text) {
        expect(parsed.response_type ?? 'ephemeral').toBe('ephemeral');
        return parsed.text;
      }
    }
    const response = await slack.waitFor((s) => s.responses.find((r) => pattern.test(String(r.body.text))), 10_000);
    expect(response.body.response_type ?? 'ephemeral').toBe('ephemeral');
    return String(response.body.text);
  }

  const cardOf = (id: number) => (s: FakeSlack) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${id}`));
  const threadOf = async (id: number, pattern: RegExp): Promise<FakeMessage> => {
    const card = await slack.waitFor(cardOf(id), 10_000);
    return slack.waitFor((s) => s.thread(CHANNEL, card.ts).find((m) => pattern.test(m.text)), 10_000);
  };

  /** Everything the deployment's thread says (printed when an action ends in error, to tell why). */
  const threadText = (id: number): string => {
    const card = cardOf(id)(slack);
    return card ? slack.thread(CHANNEL, card.ts).map((m) => m.text).join('\n') : '(no card)';
  };

  async function containersOf(app: string, service = 'web') {
    return testDocker().listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`, `io.hoist.service=${service}`] } });
  }
  async function started(app: string): Promise<{ id: string; startedAt: string; state: string; volumes: string[] }> {
    const [container] = await containersOf(app);
    expect(container).toBeDefined();
    const info = await testDocker().getContainer(container!.Id).inspect();
    return { id: info.Id, startedAt: info.State.StartedAt, state: info.State.Status, volumes: info.Mounts.map((m) => m.Name ?? '') };
  }
  const environment = (app: string) =>
    api<{ status: string; services: { name: string; status: string; version: string | null }[] }>(`/apps/${app}/environments/e2e`);

  it('redeploy with nothing changed ends DEPLOYED "no changes" and leaves the container alone', async () => {
    const deployed = await act(`deploy ${shop} to e2e`, shop);
    expect(deployed).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'web', version: v1 }] });
    const before = await started(shop);

    const redeployed = await act(`redeploy ${shop} in e2e`, shop);
    expect(redeployed).toMatchObject({ action: 'redeploy', status: 'DEPLOYED', reason: 'no changes', services: [{ name: 'web', status: 'DEPLOYED', version: v1, reason: 'no changes' }] });
    const card = await slack.waitFor((s) => {
      const c = cardOf(redeployed.id)(s);
      return c && c.text.includes('DEPLOYED') ? c : null;
    }, 10_000);
    expect(JSON.stringify(card.blocks)).toContain('no changes');
    const after = await started(shop);
    expect(after.id).toBe(before.id);
    expect(after.startedAt).toBe(before.startedAt);
    expect(await httpText(`http://127.0.0.1:${ports.shop}/`)).toEqual({ status: 200, text: 'hello v1\n' });
  });

  it('restart restarts the container in place and ends RESTARTED', async () => {
    const before = await started(shop);
    const restarted = await act(`restart ${shop}/web in e2e`, shop);
    expect(restarted).toMatchObject({ action: 'restart', status: 'RESTARTED', services: [{ name: 'web', status: 'RESTARTED' }] });
    const after = await started(shop);
    expect(after.id).toBe(before.id);
    expect(after.startedAt).not.toBe(before.startedAt);
    expect(await httpText(`http://127.0.0.1:${ports.shop}/`)).toEqual({ status: 200, text: 'hello v1\n' });
    expect(await environment(shop)).toMatchObject({ services: [{ name: 'web', status: 'RESTARTED', version: v1 }] });
  });

  it('stop stops the container, keeps it and its volume, and the service and environment are STOPPED', async () => {
    const before = await started(shop);
    expect(before.volumes.length).toBeGreaterThan(0);
    const stopped = await act(`stop ${shop} in e2e`, shop);
    expect(stopped).toMatchObject({ action: 'stop', status: 'STOPPED', services: [{ name: 'web', status: 'STOPPED' }] });
    const after = await started(shop);
    expect(after).toMatchObject({ id: before.id, state: 'exited', volumes: before.volumes });
    expect(await httpText(`http://127.0.0.1:${ports.shop}/`)).toBeNull();
    expect(await environment(shop)).toMatchObject({ status: 'STOPPED', services: [{ name: 'web', status: 'STOPPED', version: v1 }] });
  });

  it('refuses what is not allowed now, ephemerally, with the reason and what would work', async () => {
    expect(await refusal(`restart ${shop}/web in e2e`, /STOPPED/)).toBe(`web in e2e is STOPPED; \`deploy\` it first.`);
    expect(await refusal(`redeploy ${fresh} in e2e`, /never deployed/)).toBe('web in e2e was never deployed; `deploy` it first.');
    expect(await refusal(`restart ${shop} in e2e`, /single services/)).toBe(
      `\`restart\` works on single services, not a whole environment; name one: \`restart ${shop}/web in e2e\` (services: web).`,
    );
    expect(await refusal(`stop ${shop} in e2e`, /already STOPPED/)).toMatch(/already STOPPED; `deploy` or `redeploy` starts it again/);
    expect(await newestId(fresh)).toBeNull();
  });

  it('rollback goes back to the previous version: HTTP answers it, the set is the one of #N, and the environment is pinned', async () => {
    const first = await act(`deploy ${back} to e2e`, back);
    expect(first).toMatchObject({ status: 'DEPLOYED', services: [{ version: v1 }] });
    const second = await act(`deploy ${back}@v2 to e2e`, back);
    expect(second).toMatchObject({ status: 'DEPLOYED', services: [{ version: v2 }] });
    expect(await httpText(`http://127.0.0.1:${ports.back}/`)).toEqual({ status: 200, text: 'hello v2\n' });

    // Someone pushes v2's image over v1's tag: the rollback runs what #first ran, bound to its
    // digest, not what the tag names now.
    const repository = `${REGISTRY}/${back}-web`;
    const pushedV1 = await lookupManifest(`${repository}:${v1}`);
    await pushOver(`${repository}:${v2}`, repository, v1);
    const nowV1 = await lookupManifest(`${repository}:${v1}`);
    expect(nowV1).toEqual(await lookupManifest(`${repository}:${v2}`));
    expect(nowV1).not.toEqual(pushedV1);

    const rolledBack = await act(`rollback ${back} in e2e`, back);
    expect(rolledBack).toMatchObject({ action: 'rollback', status: 'DEPLOYED', services: [{ name: 'web', status: 'DEPLOYED', version: v1 }] });
    expect(await httpText(`http://127.0.0.1:${ports.back}/`)).toEqual({ status: 200, text: 'hello v1\n' });
    const setOf = async (id: number) => (await api<{ set: unknown }>(`/deployments/${id}/manifests`)).set;
    expect(await setOf(rolledBack.id)).toEqual(await setOf(first.id));
    expect(await environment(back)).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'web', status: 'DEPLOYED', version: v1 }] });

    const lock = await api<{ lock: { reason: string } | null }>(`/apps/${back}/environments/e2e/lock`);
    expect(lock.lock?.reason).toBe(`rolled back by @u0alice from #${second.id}`);
    await threadOf(rolledBack.id, /pinned: rolled back by @u0alice/);

    // Explicitly to #N: the v2 deploy again (a rollback passes the pin).
    const again = await act(`rollback ${back} in e2e to #${second.id}`, back);
    expect(again).toMatchObject({ status: 'DEPLOYED', services: [{ version: v2 }] });
    expect(await httpText(`http://127.0.0.1:${ports.back}/`)).toEqual({ status: 200, text: 'hello v2\n' });

    // A new deploy of v1 (the pin lifted) runs what Hoist built for v1, not what its tag names now.
    await slash(`unlock ${back} in e2e`);
    await eventually(async () => (await api<{ lock: unknown }>(`/apps/${back}/environments/e2e/lock`)).lock === null, 10_000, 'the unlock');
    const fresh = await act(`deploy ${back}@${v1} to e2e`, back);
    expect(fresh).toMatchObject({ action: 'deploy', status: 'DEPLOYED', services: [{ version: v1 }] });
    expect(await httpText(`http://127.0.0.1:${ports.back}/`)).toEqual({ status: 200, text: 'hello v1\n' });
    expect(await setOf(fresh.id)).toEqual(await setOf(first.id));
  });

  it('onFailure: rollback puts the service already changed back when a later one fails, and the thread says so', async () => {
    const first = await act(`deploy ${pair} to e2e`, pair);
    expect(first).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'first', version: pairV1 }, { name: 'second', version: pairV1 }] });

    const half = await act(`deploy ${pair}@half to e2e`, pair, 60_000, true);
    expect(half.status).toBe('DEPLOYMENT_ERROR');
    expect(half.reason).toMatch(/^second: .*; rolled back first$/);
    expect(half.services).toMatchObject([
      { name: 'first', status: 'CANCELED', reason: `rolled back to ${pairV1.slice(0, 7)} after second failed` },
      { name: 'second', status: 'DEPLOYMENT_ERROR' },
    ]);
    expect(await httpText(`http://127.0.0.1:${ports.first}/`)).toEqual({ status: 200, text: 'first v1\n' });
    expect(await httpText(`http://127.0.0.1:${ports.second}/`)).toEqual({ status: 200, text: 'second v1\n' });
    const note = await threadOf(half.id, /onFailure: rollback/);
    expect(note.text).toContain(`*first* runs \`${pairV1.slice(0, 7)}\``);
    expect(await environment(pair)).toMatchObject({
      services: [
        { name: 'first', status: 'DEPLOYED', version: pairV1 },
        { name: 'second', status: 'DEPLOYMENT_ERROR', version: pairV1 },
      ],
    });
    expect((await containersOf(pair, 'first')).map((c) => c.State)).toEqual(['running']);
  });
});
