import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../fakes/kube-api/index.ts';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { pinnedInRegistry } from '../support/image-tags.ts';
import { BASE_IMAGE, REGISTRY, eventually, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-kubernetes';
const SECRET = 'kubernetes-secret';
const CHANNEL = 'C0KUBE';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects read from the fake, as JSON */

interface DeploymentJson {
  id: number;
  status: string;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  services: { name: string; status: string; version: string | null; reason: string | null }[];
}

describe('Slack to a Kubernetes cluster: every service type, failures caught early, stop / restart / cancel / rollback', () => {
  const shop = randomName('kshop');
  const bad = randomName('kbad');
  const namespace = `${shop}-staging`;
  let kube: FakeKube;
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;
  let dir: string;
  let v1: string;
  let v2: string;
  let slow: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-kube');
    const files = (marker: string) => ({
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'www/index.html': `${marker}\n`,
    });
    v1 = repo.commit('v1', files('v1'));
    repo.git('checkout', '--quiet', '-b', 'v2');
    v2 = repo.commit('v2', files('v2'));
    repo.git('checkout', '--quiet', '-b', 'slow');
    slow = repo.commit('slow', files('slow'));
    repo.git('checkout', '--quiet', 'main');

    kube = await startFakeKube({ tickMs: 20 });
    // Pods of the `slow` commit take long to get ready: a rollout to cancel in the middle.
    kube.imageBehaviour(slow, { kind: 'slow', readySeconds: 120 });
    kube.imageBehaviour('example.com/pull', { kind: 'pull-error' });
    kube.imageBehaviour('example.com/crash', { kind: 'crash-loop', logs: ['starting', 'panic: cannot reach the database'], exitCode: 2 });
    kube.imageBehaviour('example.com/config', { kind: 'config-error', message: 'secret "api-keys" not found' });
    kube.imageBehaviour('example.com/oom', { kind: 'oom' });
    kube.imageBehaviour('example.com/failjob', { kind: 'fail', logs: ['migrating', 'error: relation "users" already exists'], exitCode: 1 });

    dir = mkdtempSync(join(tmpdir(), 'hoist-kube-'));
    writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig({ context: 'fake-cluster' }));
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: `targets:
  cluster: { kind: kubernetes, context: fake-cluster, imagePullSecrets: [registry-credentials] }
registry: { url: ${REGISTRY} }
apps:
  ${shop}:
    repo: ${repo.dir}
    services:
      db:      { type: database, image: "postgres:16", port: 5432, storage: 2Gi }
      migrate: { type: lifecycle-job, build: { context: . }, command: [/bin/busybox, echo, migrated] }
      report:  { type: cronjob, schedule: "0 3 * * *", build: { context: . }, command: [/bin/busybox, echo, report] }
      api:     { type: application, build: { context: . }, port: 8080, replicas: 3, health: { path: / },
                 resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 128Mi } } }
      web:     { type: application, build: { context: . }, port: 8080 }
    environments:
      staging: { target: cluster, namespace: ${namespace}, overrides: { api: { replicas: 2 } } }
  ${bad}:
    repo: ${repo.dir}
    services:
      pull:    { type: container, image: "example.com/pull:1", port: 8080 }
      crash:   { type: container, image: "example.com/crash:1", port: 8080 }
      config:  { type: container, image: "example.com/config:1" }
      oom:     { type: container, image: "example.com/oom:1", resources: { limits: { memory: 32Mi } } }
      failjob: { type: lifecycle-job, image: "example.com/failjob:1" }
    environments:
      staging: { target: cluster }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
      env: { KUBECONFIG: join(dir, 'kubeconfig') },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await kube?.close();
    repo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function command(text: string): Promise<void> {
    const body = slashCommandBody({ command: '/hoist', text, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(`k-${Math.random()}`, { channel: CHANNEL, userId: 'U0ALICE' }) });
    const res = await fetch(`${hoist.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
  }

  const cards = (s: FakeSlack) => s.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null && /· #\d+/.test(m.text));

  /** Sends an action; resolves with its deployment id once its card is in the channel. */
  async function request(text: string): Promise<number> {
    const before = cards(slack).length;
    await command(text);
    const card = await slack.waitFor((s) => cards(s)[before], 20_000);
    return Number(/#(\d+)/.exec(card.text)![1]);
  }

  const cardOf = (s: FakeSlack, id: number): FakeMessage | undefined => cards(s).find((m) => m.text.includes(`· #${id}:`));
  const ends = (id: number, status: string) =>
    slack.waitFor((s) => {
      const card = cardOf(s, id);
      return card && card.text.endsWith(`: ${status}`) ? card : null;
    }, 90_000);
  const threadText = (card: FakeMessage) => slack.thread(CHANNEL, card.ts).map((m) => m.text).join('\n');
  /** A thread reply with its blocks (where the failure's log snippet is). */
  const replyText = (m: FakeMessage) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
  const deploymentOf = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as DeploymentJson;
  const tookSeconds = (d: DeploymentJson) => (Date.parse(d.finishedAt!) - Date.parse(d.startedAt!)) / 1000;
  const template = (name: string) => kube.get('Deployment', namespace, name)?.spec.template;
  const imageOf = (name: string): string => template(name)?.spec.containers[0].image;
  /** A built service's image as Hoist runs it: its commit's tag, bound to the digest the registry names for it. */
  const built = (service: string, sha: string): Promise<string> => pinnedInRegistry(`${REGISTRY}/${shop}-${service}:${sha}`);
  const firstApply = (resource: string, name: string) =>
    kube.requests.findIndex((r) => r.method === 'PATCH' && r.contentType?.includes('apply-patch') && r.path.endsWith(`/${resource}/${name}`));

  it('deploys a database, a lifecycle job, a cronjob and two applications in order, labelled, applied server-side', async () => {
    const id = await request(`deploy ${shop} to staging`);
    const card = await ends(id, 'DEPLOYED');
    expect(threadText(card)).toMatch(/DEPLOYED/);

    // databases → lifecycle jobs → cronjobs → applications
    const order = [firstApply('statefulsets', 'db'), firstApply('jobs', `migrate-${id}`), firstApply('cronjobs', 'report'), firstApply('deployments', 'api'), firstApply('deployments', 'web')];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order.slice(0, 4)).toEqual([...order.slice(0, 4)].sort((a, b) => a - b));
    expect(order[2]).toBeLessThan(order[4]!);
    for (const r of kube.requests.filter((q) => q.contentType?.includes('apply-patch'))) expect(r.query.fieldManager).toBe('hoist');

    expect(kube.get('Namespace', null, namespace)).toBeDefined();
    const objects = [
      kube.get('StatefulSet', namespace, 'db'),
      kube.get('Service', namespace, 'db'),
      kube.get('Job', namespace, `migrate-${id}`),
      kube.get('CronJob', namespace, 'report'),
      kube.get('Deployment', namespace, 'api'),
      kube.get('Service', namespace, 'api'),
      kube.get('Deployment', namespace, 'web'),
      kube.get('Service', namespace, 'web'),
    ];
    for (const object of objects) {
      expect(object, 'every object of the environment exists').toBeDefined();
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/instance': `${shop}-staging`,
        'app.kubernetes.io/managed-by': 'hoist',
      });
      expect(object.metadata.labels['app.kubernetes.io/name']).toMatch(/^(db|migrate|report|api|web)$/);
      expect(object.metadata.labels['app.kubernetes.io/version']).toMatch(/^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/);
      expect(Object.values(object.metadata.annotations ?? {})).toContain(String(id));
      expect(object.metadata.managedFields.some((f: any) => f.manager === 'hoist' && f.operation === 'Apply')).toBe(true);
    }
    expect(kube.get('Deployment', namespace, 'api').metadata.labels['app.kubernetes.io/version']).toBe(v1.slice(0, 12));
    expect(kube.get('StatefulSet', namespace, 'db').metadata.labels['app.kubernetes.io/version']).toBe('16');
    expect(kube.get('Deployment', namespace, 'api').metadata.annotations['hoist.dev/deployment-id']).toBe(String(id));
    expect(imageOf('api')).toBe(await built('api', v1));
    // The environment's override: 2 replicas of api, not the service's 3.
    expect(kube.get('Deployment', namespace, 'api').spec.replicas).toBe(2);
    expect(template('api').spec.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(template('api').spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(kube.get('StatefulSet', namespace, 'db').spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(kube.get('Deployment', namespace, 'api').status.availableReplicas).toBe(2);
    expect(kube.get('StatefulSet', namespace, 'db').spec.template.spec.containers[0].image).toBe('postgres:16');
    expect(kube.get('PersistentVolumeClaim', namespace, 'data-db-0')?.spec.resources.requests.storage).toBe('2Gi');
    expect(kube.get('Job', namespace, `migrate-${id}`).status.succeeded).toBe(1);
    expect(kube.get('CronJob', namespace, 'report').spec.schedule).toBe('0 3 * * *');

    // Owner references, as the controllers set them: Deployment → ReplicaSet → Pod, Job → Pod.
    const api = kube.get('Deployment', namespace, 'api');
    const sets = kube.list('ReplicaSet', namespace).filter((rs) => rs.metadata.ownerReferences?.[0]?.uid === api.metadata.uid);
    expect(sets).toHaveLength(1);
    expect(sets[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'Deployment', name: 'api', controller: true });
    const pods = kube.list('Pod', namespace).filter((p) => p.metadata.ownerReferences?.[0]?.uid === sets[0].metadata.uid);
    expect(pods).toHaveLength(2);
    const job = kube.get('Job', namespace, `migrate-${id}`);
    expect(kube.list('Pod', namespace).some((p) => p.metadata.ownerReferences?.[0]?.uid === job.metadata.uid)).toBe(true);

    // The deployment set holds the manifests applied, for export and diff.
    const manifests = (await (await hoist.api(`/deployments/${id}/manifests`)).json()) as { set: { services: { name: string; manifests?: any[] }[] } };
    const apiManifests = manifests.set.services.find((s) => s.name === 'api')?.manifests ?? [];
    expect(apiManifests.map((m) => m.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(apiManifests.find((m) => m.kind === 'Deployment').spec.replicas).toBe(2);
  });

  it.each([
    ['pull', /ImagePullBackOff|ErrImagePull/, null],
    ['crash', /CrashLoopBackOff/, /panic: cannot reach the database/],
    ['config', /CreateContainerConfigError/, /secret "api-keys" not found/],
    ['oom', /OOMKilled/, null],
    ['failjob', /failed|BackoffLimitExceeded/, /relation .{1,2}users.{1,2} already exists/],
  ])('%s ends DEPLOYMENT_ERROR with the reason in the thread within seconds', async (service, reason, logLine) => {
    const id = await request(`deploy ${bad}/${service} to staging`);
    const card = await ends(id, 'DEPLOYMENT_ERROR');
    const d = await deploymentOf(id);
    expect(d.services[0]?.reason ?? d.reason).toMatch(reason);
    // Long before the 600 s progress deadline kubectl would wait out.
    expect(tookSeconds(d)).toBeLessThan(20);
    const snippet = await slack.waitFor((s) => s.thread(CHANNEL, card.ts).map(replyText).find((m) => reason.test(m) && m.includes('```')), 10_000);
    if (logLine !== null) expect(snippet).toMatch(logLine);
    // A crash loop's logs are those of the instance that crashed.
    if (service === 'crash') expect(snippet).toMatch(/--- logs of crash-\S+\/crash \(previous instance\) ---/);
    // The snippet carries the recent events of the objects involved.
    expect(snippet).toMatch(/--- events ---/);
    expect(snippet).toMatch(/\\nWarning \w+ (Pod|Job)\//);
  });

  it('the running api: its two pods followed through the API, shown in chat to the asker alone, its usage without and with metrics-server', async () => {
    const pods = kube
      .list('Pod', namespace)
      .filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'api' && !p.metadata.deletionTimestamp && p.status?.phase === 'Running')
      .map((p) => p.metadata.name as string)
      .sort();
    expect(pods).toHaveLength(2);
    const path = `/apps/${shop}/environments/staging/services/api`;

    // Followed: what each pod writes after the request arrives, named by its pod, secrets masked.
    const stop = new AbortController();
    const res = await hoist.api(`${path}/logs?tail=1&follow=1`, { signal: stop.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const seen: { replica: string; line: string }[] = [];
    let buffered = '';
    const written = kube.writeLog(namespace, pods[0]!, 'GET /checkout 200') && kube.writeLog(namespace, pods[1]!, 'GET /cart 200 with password=hunter2');
    expect(written).toBe(true);
    while (!seen.some((l) => l.line.startsWith('GET /cart')) || !seen.some((l) => l.line.startsWith('GET /checkout'))) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the stream ended after ${JSON.stringify(seen)}`);
      buffered += decoder.decode(chunk.value, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) seen.push(JSON.parse(line) as { replica: string; line: string });
    }
    stop.abort();
    await reader.cancel().catch(() => undefined);
    expect(seen.find((l) => l.line === 'GET /checkout 200')?.replica).toBe(pods[0]);
    expect(seen.find((l) => l.line.startsWith('GET /cart'))).toEqual(expect.objectContaining({ replica: pods[1], line: 'GET /cart 200 with password=[redacted]' }));

    // In chat: the last lines of both pods, to the one who asked only.
    await command(`logs ${shop}/api in staging`);
    const answer = await slack.waitFor((s) => s.responses.find((r) => String(r.body.text).startsWith(`*Logs of ${shop}/api in staging*`)), 10_000);
    expect(answer.body.response_type).toBe('ephemeral');
    const shown = JSON.stringify(answer.body.blocks);
    expect(shown).toContain(`${pods[0]} | GET /checkout 200`);
    expect(shown).toContain(`${pods[1]} | GET /cart 200 with password=[redacted]`);

    // Usage: a clear answer without metrics-server; each pod's numbers with it.
    const without = (await (await hoist.api(`${path}/usage`)).json()) as { unavailable: string | null; replicas: unknown[] };
    expect(without.unavailable).toMatch(/^metrics-server not installed/);
    expect(without.replicas).toEqual([]);
    kube.metrics.installed(true);
    kube.metrics.set(namespace, pods[1]!, 'api', { cpu: '50000000n', memory: '65536Ki' });
    const measured = (await (await hoist.api(`${path}/usage`)).json()) as { unavailable: string | null; replicas: unknown[] };
    expect(measured).toMatchObject({
      unavailable: null,
      window: '15s',
      replicas: [
        { replica: pods[0], cpuCores: 0.0025, memoryBytes: 10240 * 1024, memoryLimitBytes: 128 * 1024 * 1024 },
        { replica: pods[1], cpuCores: 0.05, memoryBytes: 64 * 1024 * 1024, memoryLimitBytes: 128 * 1024 * 1024 },
      ],
    });
    kube.metrics.installed(false);
  });

  it('stop scales to zero and suspends the cronjob, keeping the volume; deploy brings it back; restart rolls the pods', async () => {
    const stop = await request(`stop ${shop} in staging`);
    await ends(stop, 'STOPPED');
    expect(kube.get('Deployment', namespace, 'api').spec.replicas).toBe(0);
    expect(kube.get('Deployment', namespace, 'web').spec.replicas).toBe(0);
    expect(kube.get('StatefulSet', namespace, 'db').spec.replicas).toBe(0);
    expect(kube.get('CronJob', namespace, 'report').spec.suspend).toBe(true);
    expect(kube.get('PersistentVolumeClaim', namespace, 'data-db-0')).toBeDefined();
    await kube.waitFor(() => kube.list('Pod', namespace).filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'api').length === 0, 10_000);

    const again = await request(`deploy ${shop} to staging`);
    await ends(again, 'DEPLOYED');
    expect(kube.get('Deployment', namespace, 'api').spec.replicas).toBe(2);
    expect(kube.get('CronJob', namespace, 'report').spec.suspend).not.toBe(true);

    const before = kube.list('ReplicaSet', namespace).filter((rs) => rs.metadata.labels?.['app.kubernetes.io/name'] === 'api').length;
    const restart = await request(`restart ${shop}/api in staging`);
    await ends(restart, 'RESTARTED');
    expect(template('api').metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(kube.list('ReplicaSet', namespace).filter((rs) => rs.metadata.labels?.['app.kubernetes.io/name'] === 'api').length).toBe(before + 1);
    expect(kube.get('Deployment', namespace, 'api').status.updatedReplicas).toBe(2);
  });

  it('cancel in the middle of a rollout restores the previous template; rollback brings the earlier version back', async () => {
    const up = await request(`deploy ${shop}/web@${v2} to staging`);
    await ends(up, 'DEPLOYED');
    expect(imageOf('web')).toBe(await built('web', v2));

    const stuck = await request(`deploy ${shop}/web@${slow} to staging`);
    await kube.waitFor(() => imageOf('web')?.includes(`:${slow}@`), 60_000);
    await command(`cancel #${stuck}`);
    await ends(stuck, 'CANCELED');
    expect(imageOf('web')).toBe(await built('web', v2));
    const web = kube.get('Deployment', namespace, 'web');
    expect(web.status.updatedReplicas).toBe(web.spec.replicas);

    const back = await request(`rollback ${shop}/web in staging`);
    await ends(back, 'DEPLOYED');
    expect(imageOf('web')).toBe(await built('web', v1));
    // The diff of the two deployments' sets shows the image change in the applied manifests too.
    const diff = (await (await hoist.api(`/deployments/${back}/diff?against=${up}`)).json()) as { changes: { path: string; before: unknown; after: unknown }[] };
    const manifestImage = diff.changes.find((c) => c.path === 'services[web].manifests[Deployment/web].spec.template.spec.containers[web].image');
    expect(manifestImage).toMatchObject({ before: await built('web', v2), after: await built('web', v1) });
    const lock = (await (await hoist.api(`/apps/${shop}/environments/staging/lock`)).json()) as { lock: { reason: string } | null };
    expect(lock.lock?.reason).toMatch(new RegExp(`rolled back by @\\S+ from #${up}`));
    await command(`unlock ${shop} in staging --force`);
  });

  it('dropped watches, 429s and 500s from the API server do not change the outcome', async () => {
    await eventually(async () => ((await (await hoist.api(`/apps/${shop}/environments/staging/lock`)).json()) as { lock: unknown }).lock === null, 10_000, 'the unlock');
    kube.faults.failNext(2, 429, { method: 'PATCH' });
    kube.faults.failNext(2, 500, { method: 'GET' });
    const id = await request(`deploy ${shop}/web@${v2} to staging`);
    await kube.waitFor(() => imageOf('web')?.includes(`:${v2}@`), 60_000);
    kube.faults.dropWatches();
    kube.faults.failNext(1, 503);
    await ends(id, 'DEPLOYED');
    expect(imageOf('web')).toBe(await built('web', v2));
    expect(kube.requests.some((r) => r.status === 429)).toBe(true);
  });
});

describe('a kubernetes target that cannot be used', () => {
  it('stops the start, naming the target, the kubeconfig, the context and the contexts it has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-kubeconfig-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:1", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: staging, context: { cluster: c, user: u } }]
current-context: staging
`,
      );
      const yaml = `targets:
  prod-cluster: { kind: kubernetes, context: production }
registry: { url: ${REGISTRY} }
apps:
  shop:
    repo: .
    services:
      web: { type: container, image: "example.com/web:1" }
    environments:
      prod: { target: prod-cluster }
`;
      await expect(startTestHoist({ yaml, env: { KUBECONFIG: kubeconfig } })).rejects.toThrow(
        new RegExp(`target prod-cluster: cannot use KUBECONFIG ${kubeconfig} with context "production": kubeconfig has no context "production" \\(it has: staging\\)`),
      );
      await expect(startTestHoist({ yaml, env: { KUBECONFIG: join(dir, 'missing') } })).rejects.toThrow(/target prod-cluster: cannot use KUBECONFIG .*missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
