import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeKube, type FakeKube } from '../fakes/kube-api/index.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-secret-refs-e2e';
const SIGNING = 'secret-refs-e2e-signing-secret';
const CHANNEL = 'C0SECRETREFS';
const HIDDEN = '••••[0-9a-f]{8}';

interface DeploymentJson {
  id: number;
  status: string;
  reason: string | null;
  finishedAt: string | null;
  services: { name: string; status: string; reason: string | null }[];
}

/** Every table's rows of a database as text, by pg_dump (data and schema, as a backup would hold them). */
async function dumpDatabase(url: string): Promise<string> {
  const { stdout } = await promisify(execFile)('pg_dump', ['--no-owner', '--dbname', url], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** Every key under the prefix and every value it holds, as text. */
async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const out: string[] = [];
  const keys = await redis.keys(`${prefix}*`);
  for (const key of keys) {
    const type = await redis.type(key);
    const value =
      type === 'string' ? await redis.get(key)
        : type === 'hash' ? await redis.hgetall(key)
          : type === 'list' ? await redis.lrange(key, 0, -1)
            : type === 'set' ? await redis.smembers(key)
              : type === 'zset' ? await redis.zrange(key, '0', '-1')
                : type === 'stream' ? await redis.xrange(key, '-', '+')
                  : null;
    out.push(`${key} ${type} ${JSON.stringify(value)}`);
  }
  return out.join('\n');
}

/** A web app that prints its secrets as it starts (an app's log is where a value leaks first); `serve: false` never answers its health check. */
const appFiles = (serve: boolean) => ({
  Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nEXPOSE 8080\nCMD ["/bin/busybox", "sh", "-c", "echo \\"db secret is $DB_PASSWORD, api token is $API_TOKEN\\"; exec /bin/busybox ${serve ? 'httpd -f -p 8080 -h /www' : 'sleep 600'}"]\n`,
  'www/index.html': 'hello\n',
});

/**
 * Secrets by reference: the value reaches the container (Docker: read from HOIST_SECRETS_DIR at
 * rollout; Kubernetes: a secretKeyRef the kubelet resolves) and nowhere else — not Postgres, not
 * Redis, not an API answer, not Slack, not Hoist's log.
 */
describe('secrets by reference, on a real engine and a fake cluster', () => {
  const name = randomName('sref');
  const namespace = `${name}-cluster`;
  // Values no other text of the run can hold by chance.
  const value = `pw-${randomName('v')}-1`;
  const rotated = `pw-${randomName('v')}-2`;
  const apiToken = `tok-${randomName('v')}`;
  const planted = `planted-${randomName('v')}`;
  let slack: FakeSlack;
  let kube: FakeKube;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  let dir: string;
  let secretsDir: string;
  let log = '';
  const answers: string[] = [];

  beforeAll(async () => {
    repo = createGitFixture('hoist-secret-refs');
    repo.commit('serves', appFiles(true));
    repo.git('checkout', '--quiet', '-b', 'broken');
    repo.commit('never healthy', appFiles(false));
    repo.git('checkout', '--quiet', 'main');
    dir = mkdtempSync(join(tmpdir(), 'hoist-secret-refs-'));
    secretsDir = join(dir, 'secrets');
    mkdirSync(join(secretsDir, 'shop-db'), { recursive: true });
    mkdirSync(join(secretsDir, 'shop-api'), { recursive: true });
    writeFileSync(join(secretsDir, 'shop-db', 'password'), value);
    writeFileSync(join(secretsDir, 'shop-api', 'API_TOKEN'), apiToken);
    kube = await startFakeKube({ tickMs: 20 });
    writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig({ context: 'fake-cluster' }));
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
  cluster: { kind: kubernetes, context: fake-cluster }
registry: { url: ${REGISTRY} }
apps:
  ${name}:
    repo: ${repo.dir}
    services:
      web:
        type: application
        build: { context: . }
        port: 8080
        health: { path: /, timeout: 8s }
        env: { DB_PASSWORD: { secret: shop-db, key: password }, GREETING: hello }
        envFrom: [{ secret: shop-api }]
        publicEnv: [GREETING]
    environments:
      local: { target: engine }
      cluster: { target: cluster, namespace: ${namespace} }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SIGNING },
      env: { KUBECONFIG: join(dir, 'kubeconfig'), HOIST_SECRETS_DIR: secretsDir },
      logger: createLogger('debug', sink),
    });
    chat = slackUser({ baseUrl: () => hoist.baseUrl, slack, secret: SIGNING, channel: CHANNEL });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await kube?.close();
    await removeAppContainers(name);
    repo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function call(path: string): Promise<{ status: number; text: string }> {
    const res = await hoist.api(path);
    const text = await res.text();
    answers.push(`${path}\n${text}`);
    return { status: res.status, text };
  }
  const json = async <T>(path: string): Promise<T> => {
    const { status, text } = await call(path);
    expect(status, `${path}: ${text}`).toBe(200);
    return JSON.parse(text) as T;
  };

  /** Runs a chat command and waits for the deployment it starts to finish. */
  async function run(command: string): Promise<DeploymentJson> {
    const newest = async () => (await json<{ items: { id: number }[] }>(`/deployments?app=${name}&limit=1`)).items[0]?.id ?? null;
    const before = await newest();
    const sent = await chat.slash(command, { user: 'U0ALICE' });
    expect(sent.res.status).toBe(200);
    const id = await eventually(async () => {
      const now = await newest();
      return now !== null && now !== before ? now : null;
    }, 15_000, `the deployment of "${command}"`);
    return eventually(async () => {
      const d = await json<DeploymentJson>(`/deployments/${id}`);
      return d.finishedAt ? d : null;
    }, 120_000, `#${id} to finish`);
  }

  /** The fake cluster's API, as an administrator with kubectl would call it. */
  async function kubectl(method: string, path: string, body?: object): Promise<void> {
    const token = /token: (\S+)/.exec(kube.kubeconfig())![1]!;
    const res = await fetch(`${kube.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
  }

  const webEnv = async (): Promise<string[]> => {
    const [container] = await testDocker().listContainers({ filters: { label: [`io.hoist.app=${name}`, 'io.hoist.service=web'] } });
    return (await testDocker().getContainer(container!.Id).inspect()).Config.Env;
  };

  it('Docker: the container gets the values; a rotated one is redeployed and diffed as "secret changed"; a missing one names its file', async () => {
    const first = await run(`deploy ${name} to local`);
    expect(first.status, first.reason ?? '').toBe('DEPLOYED');
    expect(await webEnv()).toEqual(expect.arrayContaining([`DB_PASSWORD=${value}`, `API_TOKEN=${apiToken}`, 'GREETING=hello']));

    // The set records the reference and a keyed hash; the app's own output shows that hash, not the value.
    const manifests = await json<{ set: { services: { secretRefs: Record<string, { secret: string; key: string; hash: string }>; envFrom: { secret: string; hash: string }[] }[] } }>(`/deployments/${first.id}/manifests`);
    const ref = manifests.set.services[0]!.secretRefs.DB_PASSWORD!;
    expect(ref).toEqual({ secret: 'shop-db', key: 'password', hash: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(manifests.set.services[0]!.envFrom).toEqual([{ secret: 'shop-api', hash: expect.stringMatching(/^[0-9a-f]{8}$/) }]);

    // Nothing changed: a redeploy restarts nothing.
    const same = await run(`redeploy ${name} in local`);
    expect(same).toMatchObject({ status: 'DEPLOYED', reason: 'no changes' });

    // The password is rotated on the Hoist host: a redeploy sees it (by its hash) and applies it.
    writeFileSync(join(secretsDir, 'shop-db', 'password'), rotated);
    const second = await run(`redeploy ${name} in local`);
    expect(second.status).toBe('DEPLOYED');
    expect(second.reason).toBeNull();
    expect(await webEnv()).toEqual(expect.arrayContaining([`DB_PASSWORD=${rotated}`, `API_TOKEN=${apiToken}`]));
    const diff = await json<{ changes: { path: string; text: string }[] }>(`/deployments/${second.id}/diff?against=${first.id}`);
    expect(diff.changes.map((c) => c.text)).toEqual([expect.stringMatching(new RegExp(`^services\\[web\\]\\.secretRefs\\.DB_PASSWORD: ${HIDDEN} → ${HIDDEN} \\(secret changed\\)$`))]);

    // A version that never answers: its output (with both values) is in the log and the failure in Slack as their hashes.
    const broken = await run(`deploy ${name}@broken to local`);
    expect(broken.status).toBe('DEPLOYMENT_ERROR');
    const shown = new RegExp(`db secret is ${HIDDEN}, api token is ${HIDDEN}`);
    const lines = (await json<{ lines: { line: string }[] }>(`/deployments/${broken.id}/logs`)).lines.map((l) => l.line).join('\n');
    expect(lines).toMatch(shown);
    // The mark is the keyed hash the set of the running (rotated) password recorded.
    const secondSet = await json<{ set: { services: { secretRefs: Record<string, { hash: string }> }[] } }>(`/deployments/${second.id}/manifests`);
    expect(lines).toContain(`db secret is ••••${secondSet.set.services[0]!.secretRefs.DB_PASSWORD!.hash},`);
    const failure = await slack.waitFor((st) => st.messages.find((m) => m.threadTs !== null && JSON.stringify(m.blocks ?? m.text).includes('db secret is')), 30_000);
    expect(JSON.stringify(failure.blocks ?? failure.text)).toMatch(shown);
    expect(await webEnv()).toContain(`DB_PASSWORD=${rotated}`);

    // A key gone from the directory: the rollout fails naming the secret, the key and the variable; what ran keeps running.
    unlinkSync(join(secretsDir, 'shop-db', 'password'));
    const failed = await run(`deploy ${name} to local`);
    expect(failed.status).toBe('DEPLOYMENT_ERROR');
    const reason = failed.services[0]!.reason ?? '';
    expect(reason).toContain('secret shop-db/password (for DB_PASSWORD) is missing');
    expect(reason).toContain('HOIST_SECRETS_DIR/<secret>/<key>');
    expect(await webEnv()).toContain(`DB_PASSWORD=${rotated}`);
    const thread = await slack.waitFor((s) => s.messages.find((m) => m.threadTs !== null && JSON.stringify(m.blocks ?? m.text).includes('shop-db/password')), 30_000);
    expect(JSON.stringify(thread)).toContain('is missing');
    writeFileSync(join(secretsDir, 'shop-db', 'password'), rotated);
  }, 300_000);

  it('Kubernetes: the pod references the Secret; a missing key is CreateContainerConfigError naming it; Hoist never touches Secrets', async () => {
    await kubectl('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await kubectl('POST', `/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-api' }, stringData: { API_TOKEN: apiToken } });
    await kubectl('POST', `/api/v1/namespaces/${namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-db' }, stringData: { user: 'shop' } });

    const failed = await run(`deploy ${name} to cluster`);
    expect(failed.status).toBe('DEPLOYMENT_ERROR');
    expect(failed.services[0]!.reason).toContain(`CreateContainerConfigError — couldn't find key password in Secret ${namespace}/shop-db`);
    expect(failed.services[0]!.reason).toContain('Hoist does not create or read Secrets');
    await slack.waitFor((s) => s.messages.some((m) => m.threadTs !== null && JSON.stringify(m.blocks ?? m.text).includes(`couldn't find key password in Secret ${namespace}/shop-db`)), 30_000);

    await kubectl('PATCH', `/api/v1/namespaces/${namespace}/secrets/shop-db`, { stringData: { password: value } });
    const deployed = await run(`deploy ${name} to cluster`);
    expect(deployed.status, deployed.reason ?? '').toBe('DEPLOYED');
    const container = kube.get('Deployment', namespace, 'web').spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-db', key: 'password' } } },
      { name: 'GREETING', value: 'hello' },
    ]);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'shop-api' } }]);
    // The set records the references only: Hoist never read the values, so it has no hash of them.
    const manifests = await json<{ set: { services: { secretRefs: object; envFrom: object }[] } }>(`/deployments/${deployed.id}/manifests`);
    expect(manifests.set.services[0]).toMatchObject({ secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password' } }, envFrom: [{ secret: 'shop-api' }] });
    expect(JSON.stringify(manifests.set)).not.toContain('"hash"');
    // A rotated Secret is invisible to Hoist: a redeploy has nothing to apply (README: `restart` after rotating).
    await kubectl('PATCH', `/api/v1/namespaces/${namespace}/secrets/shop-db`, { stringData: { password: rotated } });
    expect(await run(`redeploy ${name} in cluster`)).toMatchObject({ status: 'DEPLOYED', reason: 'no changes' });
    // Every request on Secrets is one of this test's four; none is Hoist's.
    expect(kube.requests.filter((r) => /\/secrets(\/|$|\?)/.test(r.path)).map((r) => r.method)).toEqual(['POST', 'POST', 'PATCH', 'PATCH']);
  }, 300_000);

  it('no value is in the database, Redis, an API answer, a Slack call or the log, where a planted one is found', async () => {
    for (const d of (await json<{ items: { id: number }[] }>(`/deployments?app=${name}&limit=50`)).items) {
      await json(`/deployments/${d.id}`);
      await json(`/deployments/${d.id}/manifests`);
      await json(`/deployments/${d.id}/logs`);
      await call(`/deployments/${d.id}/logs?follow=1`);
    }
    await json(`/apps/${name}/environments`);
    await json(`/apps/${name}/environments/local`);
    await json(`/apps/${name}/environments/cluster`);
    answers.push(await chat.replyText(await chat.slash(`status ${name}`, { user: 'U0ALICE' }), 30_000));

    const redis = new Redis(hoist.vars.REDIS_URL!);
    try {
      const prefix = hoist.vars.HOIST_REDIS_PREFIX!;
      // The positive control: a value planted where each scan looks is found by it.
      await redis.set(`${prefix}:planted`, `x${planted}x`);
      const client = new pg.Client({ connectionString: hoist.databaseUrl });
      await client.connect();
      await client.query('CREATE TABLE planted_check (value text)');
      await client.query('INSERT INTO planted_check VALUES ($1)', [`x${planted}x`]);
      await client.end();
      const places = {
        postgres: await dumpDatabase(hoist.databaseUrl),
        redis: await dumpRedis(redis, prefix),
        api: answers.join('\n'),
        slack: JSON.stringify({ calls: slack.calls, responses: slack.responses, messages: slack.messages }),
        log,
      };
      const found = (place: string, text: string | RegExp) => (typeof text === 'string' ? place.includes(text) : text.test(place));
      expect(found(places.redis, planted), 'the Redis scan finds the planted value').toBe(true);
      expect(found(places.postgres, planted), 'the database scan finds the planted value').toBe(true);
      expect(found(places.postgres, 'deployment_set'), 'the dump holds the deployments').toBe(true);
      expect(found(places.postgres, new RegExp(`db secret is ${HIDDEN}`)), 'the dump holds the app\'s output, masked').toBe(true);
      expect(found(places.api, new RegExp(`db secret is ${HIDDEN}`)), 'the answers hold the app\'s output, masked').toBe(true);
      expect(found(places.slack, 'shop-db/password'), 'Slack was told of the missing key').toBe(true);
      expect(found(places.log, '"level"'), 'Hoist logged').toBe(true);
      for (const [place, text] of Object.entries(places)) {
        for (const secret of [value, rotated, apiToken]) {
          expect(text.includes(secret), `${place} holds a secret value`).toBe(false);
          expect(text.includes(Buffer.from(secret).toString('hex')), `${place} holds a secret value as hex`).toBe(false);
        }
      }
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
