/**
 * Kubernetes failure detection: from a pod entering ImagePullBackOff / ErrImagePull or
 * CrashLoopBackOff to the deployment's card saying DEPLOYMENT_ERROR, with Hoist on the
 * fake API server (real time). Beside it, measured in the same run: how long a plain
 * `kubectl rollout status` — its judgement (generation, replicas, the Progressing
 * condition) applied to the same Deployment — waits before it reports the failure:
 * until ProgressDeadlineExceeded. That wait runs on a second fake whose clock runs
 * fast, and is reported in its (cluster) time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseEnv } from '../src/config/env.ts';
import { startHoist, type RunningHoist } from '../src/main.ts';
import { deploymentStatus, type DeploymentLike } from '../src/engine/targets/kubernetes/rollout-status.ts';
import { createGitFixture } from '../test/engine/git-fixture.ts';
import { startFakeKube, type FakeKube, type PodBehaviour } from '../test/fakes/kube-api/index.ts';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../test/fakes/slack-sign.ts';
import { createTestDatabase, uniquePrefix } from '../test/support/databases.ts';
import { deleteKeys, hoistLogger } from './bench-hoist.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

const TOKEN = 'xoxb-bench-kube';
const SECRET = 'bench-kube-secret';
const CHANNEL = 'C0BENCHKUBE';
const APP = 'kb';
const ENV = 'bench';
/** Kubernetes' default `progressDeadlineSeconds`, which Hoist's manifests keep. */
const PROGRESS_DEADLINE_SECONDS = 600;

interface Scenario {
  service: string;
  image: string;
  behaviour: PodBehaviour;
  reasons: readonly string[];
}

const SCENARIOS: readonly Scenario[] = [
  { service: 'pull', image: 'example.com/bench-pull:1', behaviour: { kind: 'pull-error' }, reasons: ['ErrImagePull', 'ImagePullBackOff'] },
  { service: 'crash', image: 'example.com/bench-crash:1', behaviour: { kind: 'crash-loop', logs: ['boom'], exitCode: 1 }, reasons: ['CrashLoopBackOff'] },
];

/* eslint-disable @typescript-eslint/no-explicit-any -- pods read from the fake, as JSON */
function podWaitingIn(kube: FakeKube, namespace: string, service: string, reasons: readonly string[], since: Set<string>): boolean {
  return kube
    .list('Pod', namespace)
    .some(
      (pod: any) =>
        pod.metadata.labels?.['app.kubernetes.io/name'] === service &&
        !since.has(pod.metadata.uid) &&
        (pod.status?.containerStatuses ?? []).some((c: any) => reasons.includes(c.state?.waiting?.reason)),
    );
}
/* eslint-enable @typescript-eslint/no-explicit-any */

async function withHoist<T>(kube: FakeKube, slack: FakeSlack, logFile: string, logLevel: string, fn: (hoist: RunningHoist) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-kube-'));
  const repo = createGitFixture('hoist-bench-kube');
  repo.commit('nothing to build', { 'README.md': 'prebuilt images only\n' });
  const database = await createTestDatabase();
  const prefix = uniquePrefix().replace('hoist-test-', 'hoist-bench-');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let hoist: RunningHoist | null = null;
  try {
    writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig({ context: 'bench' }));
    writeFileSync(
      join(dir, 'hoist.yaml'),
      `targets:
  cluster: { kind: kubernetes, context: bench }
apps:
  ${APP}:
    repo: ${repo.dir}
    services:
${SCENARIOS.map((s) => `      ${s.service}: { type: container, image: "${s.image}", port: 8080 }`).join('\n')}
    environments:
      ${ENV}: { target: cluster, namespace: ${APP}-${ENV} }
`,
    );
    const env = parseEnv({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      HOIST_REDIS_PREFIX: prefix,
      HOIST_CONFIG: join(dir, 'hoist.yaml'),
      HOIST_DATA_DIR: join(dir, 'data'),
      KUBECONFIG: join(dir, 'kubeconfig'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: logLevel,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
    });
    hoist = await startHoist({ env, mode: 'start', shell: null, logger: hoistLogger(env.logLevel, logFile) });
    return await fn(hoist);
  } finally {
    await hoist?.stop();
    await database.drop();
    await deleteKeys(redisUrl, `${prefix}:*`);
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hoist: pod waiting with the reason → card edited to DEPLOYMENT_ERROR, `rounds` times per scenario. */
async function hoistDetection(rounds: number, logFile: string, logLevel: string, say: (line: string) => void): Promise<Result[]> {
  const kube = await startFakeKube({ tickMs: 10 });
  const slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
  try {
    for (const s of SCENARIOS) kube.imageBehaviour(s.image, s.behaviour);
    return await withHoist(kube, slack, logFile, logLevel, async (hoist) => {
      const results: Result[] = [];
      for (const s of SCENARIOS) {
        const latencies: number[] = [];
        let errors = 0;
        for (let round = 0; round < rounds; round++) {
          const seen = new Set<string>(kube.list('Pod', `${APP}-${ENV}`).map((p: { metadata: { uid: string } }) => p.metadata.uid));
          const cardsBefore = slack.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null).length;
          const body = slashCommandBody({ command: '/hoist', text: `deploy ${APP}/${s.service} to ${ENV}`, userId: 'U0BENCH', channelId: CHANNEL, responseUrl: slack.responseUrl(`kb-${s.service}-${round}`) });
          await fetch(`http://127.0.0.1:${hoist.port}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) }, body });
          try {
            // Checked after every controller step of the fake (10 ms).
            const entered = await kube.waitFor(() => (podWaitingIn(kube, `${APP}-${ENV}`, s.service, s.reasons, seen) ? Date.now() : null), 60_000);
            const card = await slack.waitFor((sl) => sl.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null)[cardsBefore], 30_000);
            const shown = await slack.waitFor(() => (card.text.endsWith(': DEPLOYMENT_ERROR') ? Date.now() : null), 60_000);
            latencies.push(Math.max(0, shown - entered));
          } catch (error) {
            errors += 1;
            say(`  ${s.service} round ${round + 1}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        results.push({
          id: `k8s-detect-${s.service}-hoist`,
          scenario: `${s.reasons.join('/')} → DEPLOYMENT_ERROR on the card (Hoist)`,
          app: 'hoist',
          measure: 'detect',
          load: `${rounds} deploys, one at a time`,
          ...summarize(latencies, errors),
        });
      }
      return results;
    });
  } finally {
    await slack.close();
    await kube.close();
  }
}

/**
 * `kubectl rollout status`'s judgement of a Deployment whose pods fail the same way: on a
 * fake whose clock runs `timeScale` times faster, from the pod's waiting reason to the
 * judgement turning into an error. Reported in cluster time.
 */
async function kubectlDetection(timeScale: number): Promise<Result[]> {
  const results: Result[] = [];
  for (const s of SCENARIOS) {
    const kube = await startFakeKube({ tickMs: 10, timeScale });
    try {
      kube.imageBehaviour(s.image, s.behaviour);
      const kc = new KubeConfig();
      kc.loadFromString(kube.kubeconfig());
      const apps = kc.makeApiClient(AppsV1Api);
      const namespace = 'default';
      const labels = { 'app.kubernetes.io/name': s.service };
      await apps.patchNamespacedDeployment(
        {
          name: s.service,
          namespace,
          fieldManager: 'kubectl',
          force: true,
          body: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: s.service, namespace },
            spec: {
              replicas: 1,
              progressDeadlineSeconds: PROGRESS_DEADLINE_SECONDS,
              selector: { matchLabels: labels },
              template: { metadata: { labels }, spec: { containers: [{ name: s.service, image: s.image }] } },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
      const entered = await kube.waitFor(() => (podWaitingIn(kube, namespace, s.service, s.reasons, new Set()) ? kube.now() : null), 60_000);
      const judged = await kube.waitFor(() => {
        const status = deploymentStatus(kube.get('Deployment', namespace, s.service) as DeploymentLike);
        return status.state === 'failed' ? kube.now() : null;
      }, (PROGRESS_DEADLINE_SECONDS * 1000 * 2) / timeScale + 30_000);
      results.push({
        id: `k8s-detect-${s.service}-kubectl`,
        scenario: `${s.reasons.join('/')} → kubectl rollout status error (progress deadline ${PROGRESS_DEADLINE_SECONDS} s; cluster time)`,
        app: 'kubectl-baseline',
        measure: 'detect',
        load: `1 Deployment, fake clock ×${timeScale}`,
        ...summarize([judged - entered], 0),
      });
    } finally {
      await kube.close();
    }
  }
  return results;
}

export async function runKubernetesBench(
  options: { rounds: number; logFile: string; logLevel: string; timeScale?: number },
  say: (line: string) => void,
): Promise<{ results: Result[]; lines: string[] }> {
  say(`… Kubernetes: ${options.rounds} failing deploys per failure kind on the fake API server (Hoist)`);
  const hoist = await hoistDetection(options.rounds, options.logFile, options.logLevel, say);
  say('… Kubernetes: the same failures judged as `kubectl rollout status` judges them (fast fake clock)');
  const kubectl = await kubectlDetection(options.timeScale ?? 200);
  const lines: string[] = [];
  for (const s of SCENARIOS) {
    const ours = hoist.find((r) => r.id === `k8s-detect-${s.service}-hoist`);
    const theirs = kubectl.find((r) => r.id === `k8s-detect-${s.service}-kubectl`);
    if (ours?.p50Ms != null && theirs?.p50Ms != null) {
      lines.push(
        `${s.reasons.join('/')}: Hoist reports DEPLOYMENT_ERROR p50 ${(ours.p50Ms / 1000).toFixed(2)} s after the pod says so; ` +
          `kubectl rollout status waits ${(theirs.p50Ms / 1000).toFixed(0)} s (the progress deadline) — ${(theirs.p50Ms / ours.p50Ms).toFixed(0)}× sooner`,
      );
    }
  }
  return { results: [...hoist, ...kubectl], lines };
}
