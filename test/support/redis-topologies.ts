import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './hoist-harness.ts';
import { answers } from './redis-server.ts';

const run = promisify(execFile);

/** One redis-server of a test's own: started, killed (SIGKILL, as a crash) and started again on the same port and files. */
export interface Node {
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

function node(port: number, args: () => string[], password?: string, tls?: TestCertificates): Node {
  let child: ChildProcess | null = null;
  const shown = shownBy(tls);
  return {
    port,
    async start() {
      const started = spawn('redis-server', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      // What it last said: why it exited, when it did (a port taken by a server an earlier, killed run left).
      let said = '';
      const keep = (chunk: Buffer) => (said = (said + chunk.toString('utf8')).slice(-600));
      started.stdout.on('data', keep);
      started.stderr.on('data', keep);
      await eventually(
        async () => {
          const up = await answers(port, password, tls?.caText, shown);
          // What answers is not this one when it has exited (its port taken).
          if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${started.exitCode}): ${said.trim().split('\n').at(-1) ?? ''}`);
          return up;
        },
        10_000,
        `redis-server on port ${port}`,
      );
    },
    async kill() {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
  };
}

async function cli(port: number, password: string | undefined, tls: TestCertificates | undefined, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...cliAccess(password, tls), ...args]);
  return stdout;
}

/** How redis-cli signs in (with `password`) and speaks TLS (trusting the test's authority). */
const cliAccess = (password: string | undefined, tls: TestCertificates | undefined): string[] => [
  ...(password === undefined ? [] : ['--no-auth-warning', '-a', password]),
  ...(tls === undefined ? [] : ['--tls', '--cacert', tls.ca, ...(tls.askClients ? ['--cert', tls.clientCert, '--key', tls.clientKey] : [])]),
];

/**
 * A certificate authority of the test's own and a certificate it signed for Redis (files in
 * `dir`; `caText`: the authority's PEM, read once), and one it signed for Hoist to show a Redis
 * that asks clients for one (`clientCert`, `clientKey`).
 */
export interface TestCertificates {
  ca: string;
  caText: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
  /** Servers started with them ask every client for a certificate (`tls-auth-clients yes`); the test's own clients show `clientCert`. */
  askClients: boolean;
}

/** Makes them with openssl (EC keys, valid two days); the certificate names `names` (subjectAltName entries, by default the loopback address). */
export async function testCertificates(dir: string, names = 'IP:127.0.0.1', options: { askClients?: boolean } = {}): Promise<TestCertificates> {
  const at = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', '2', '-subj', '/CN=hoist-test-ca']);
  await run('openssl', ['req', ...ec, '-keyout', at('redis.key'), '-out', at('redis.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(at('san.cnf'), `subjectAltName=${names}\n`);
  await run('openssl', ['x509', '-req', '-in', at('redis.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('redis.crt'), '-days', '2', '-extfile', at('san.cnf')]);
  await run('openssl', ['req', ...ec, '-keyout', at('hoist.key'), '-out', at('hoist.csr'), '-subj', '/CN=hoist']);
  writeFileSync(at('client.cnf'), 'extendedKeyUsage=clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', at('hoist.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('hoist.crt'), '-days', '2', '-extfile', at('client.cnf')]);
  return { ca: at('ca.crt'), caText: readFileSync(at('ca.crt'), 'utf8'), cert: at('redis.crt'), key: at('redis.key'), clientCert: at('hoist.crt'), clientKey: at('hoist.key'), askClients: options.askClients === true };
}

/** What makes a node take TLS only, on `port`, with the test's certificate (clients show one only when the certificates say `askClients`). */
const tlsArgs = (port: number, tls: TestCertificates | undefined): string[] =>
  tls === undefined
    ? ['--port', String(port)]
    : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', tls.askClients ? 'yes' : 'no'];

/** The certificate the test's own clients show a server that asks for one. */
const shownBy = (tls: TestCertificates | undefined): { cert: string; key: string } | undefined =>
  tls?.askClients ? { cert: readFileSync(tls.clientCert, 'utf8'), key: readFileSync(tls.clientKey, 'utf8') } : undefined;

/** One node on `port` taking TLS only, with the test's certificates (asking clients for theirs when they say `askClients`). */
export function ownTlsRedis(port: number, tls: TestCertificates): Node {
  return node(port, () => [...tlsArgs(port, tls), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], undefined, tls);
}

/** What makes a node ask for `password` and sign in with it to its master (a replica, or a cluster node's replica-to-be). */
const passwordArgs = (password: string | undefined): string[] => (password === undefined ? [] : ['--requirepass', password, '--masterauth', password]);

/** redis-cli prints a flat reply of field names and values one per line. */
function pairs(output: string): Map<string, string> {
  const lines = output.trim().split('\n');
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) fields.set(lines[i] as string, lines[i + 1] as string);
  return fields;
}

export interface OwnCluster {
  /** REDIS_CLUSTER's value for it. */
  nodes: string;
  masters: Node[];
  /** Waits until every node says the cluster is ok (all slots served). */
  healthy(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of three masters (no replicas) on `basePort`..`basePort+2`, each node
 * with its own cluster config file, so a killed node comes back into the same cluster.
 */
export async function ownRedisCluster(basePort: number, options: { password?: string; tls?: TestCertificates; announceHostname?: string } = {}): Promise<OwnCluster> {
  const { password, tls, announceHostname } = options;
  // As managed clusters do: the nodes tell clients a name for each other rather than an address.
  const announce = announceHostname === undefined ? [] : ['--cluster-announce-hostname', announceHostname, '--cluster-preferred-endpoint-type', 'hostname'];
  const dir = mkdtempSync(join(tmpdir(), 'hoist-redis-cluster-'));
  const masters = [0, 1, 2].map((i) =>
    node(
      basePort + i,
      () => [
        ...tlsArgs(basePort + i, tls), ...(tls === undefined ? [] : ['--tls-cluster', 'yes']), ...announce,
        '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${basePort + i}.conf`), '--cluster-node-timeout', '2000',
        '--dir', dir, ...passwordArgs(password),
      ],
      password,
      tls,
    ),
  );
  const cluster: OwnCluster = {
    nodes: masters.map((m) => `${announceHostname ?? '127.0.0.1'}:${m.port}`).join(','),
    masters,
    async healthy() {
      await eventually(
        async () => (await Promise.all(masters.map(async (m) => (await cli(m.port, password, tls, 'cluster', 'info').catch(() => '')).includes('cluster_state:ok')))).every(Boolean),
        20_000,
        'the cluster to serve every slot',
      );
    },
    async stop() {
      await Promise.all(masters.map((m) => m.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return orCleanUp(() => cluster.stop(), async () => {
    await Promise.all(masters.map((m) => m.start()));
    await run('redis-cli', [...cliAccess(password, tls), '--cluster', 'create', ...masters.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await cluster.healthy();
    return cluster;
  });
}

/** Runs `setup`; when it fails, the topology is stopped (every node, started or not, and its files), so that no server is left on the test's ports. */
async function orCleanUp<T>(stop: () => Promise<void>, setup: () => Promise<T>): Promise<T> {
  try {
    return await setup();
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface OwnSentinels {
  /** REDIS_SENTINELS's value for them. */
  sentinels: string;
  master: string;
  /** The port of the node that is master now, as the Sentinels say. */
  masterPort(): Promise<number>;
  /** Kills whichever node is master now and waits until the Sentinels promoted the other. */
  failover(): Promise<{ killed: number; promoted: number }>;
  /** Starts a killed node again as a replica of the master now, and waits until it is in sync. */
  rejoin(port: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A master and its replica on `basePort`, `basePort+1`, watched by three Sentinels on
 * `basePort+2`..`basePort+4` (quorum 2, a master is down after 1 s without answers).
 */
export async function ownRedisSentinels(basePort: number, master = 'hoist-test', options: { password?: string; sentinelPassword?: string; tls?: TestCertificates } = {}): Promise<OwnSentinels> {
  const { password, sentinelPassword, tls } = options;
  const dir = mkdtempSync(join(tmpdir(), 'hoist-redis-sentinel-'));
  const dataPorts = [basePort, basePort + 1];
  const data = new Map<number, Node>();
  /** Replicas and Sentinels reach the master over TLS too. */
  const replicationTls = tls === undefined ? [] : ['--tls-replication', 'yes'];
  /** A node started again after a failover: the master it replicates. */
  const restarted = new Map<number, number>();
  for (const port of dataPorts) {
    data.set(
      port,
      node(port, () => {
        const master = port === basePort && !restarted.has(port) ? null : (restarted.get(port) ?? basePort);
        const replicaOf = master === null ? [] : ['--replicaof', '127.0.0.1', String(master)];
        return [...tlsArgs(port, tls), ...replicationTls, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, ...replicaOf, ...passwordArgs(password)];
      }, password, tls),
    );
  }
  const sentinelPorts = [basePort + 2, basePort + 3, basePort + 4];
  const sentinels = sentinelPorts.map((port) => {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${master} 127.0.0.1 ${basePort} 2`,
        `sentinel down-after-milliseconds ${master} 1000`,
        `sentinel failover-timeout ${master} 5000`,
        `sentinel parallel-syncs ${master} 1`,
        ...(password === undefined ? [] : [`sentinel auth-pass ${master} ${password}`]),
        ...(sentinelPassword === undefined ? [] : [`requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`]),
        '',
      ].join('\n'),
    );
    // Its port (and TLS) on the command line, as the data nodes': what follows the file adds to it.
    return node(port, () => [conf, '--sentinel', ...tlsArgs(port, tls), ...replicationTls], sentinelPassword, tls);
  });
  const masterPort = async (): Promise<number> => {
    const answer = await cli(sentinelPorts[0] as number, sentinelPassword, tls, 'sentinel', 'get-master-addr-by-name', master);
    return Number(answer.trim().split('\n')[1]);
  };
  const stop = async () => {
    await Promise.all([...sentinels, ...data.values()].map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  await orCleanUp(stop, async () => {
    for (const n of data.values()) await n.start();
    await Promise.all(sentinels.map((s) => s.start()));
    // Every Sentinel must know the replica and the other Sentinels before a failover can be agreed.
    await eventually(
      async () => {
        const seen = await Promise.all(
          sentinelPorts.map(async (p) => {
            const fields = pairs(await cli(p, sentinelPassword, tls, 'sentinel', 'master', master).catch(() => ''));
            return Number(fields.get('num-slaves')) >= 1 && Number(fields.get('num-other-sentinels')) >= 2;
          }),
        );
        return seen.every(Boolean);
      },
      20_000,
      'the Sentinels to know the replica and each other',
    );
  });
  return {
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    master,
    masterPort,
    async failover() {
      const killed = await masterPort();
      await data.get(killed)?.kill();
      const promoted = await eventually(async () => {
        const now = await masterPort().catch(() => killed);
        return now !== killed ? now : null;
      }, 30_000, 'a Sentinel failover');
      return { killed, promoted };
    },
    async rejoin(port) {
      restarted.set(port, await masterPort());
      await data.get(port)?.start();
      await eventually(async () => (await cli(port, password, tls, 'info', 'replication')).includes('master_link_status:up'), 20_000, `${port} to replicate the master`);
    },
    stop,
  };
}

/** Both topologies, started at once; when one fails to come up, the other is stopped (no server left on the file's ports). */
export async function bothUp(cluster: Promise<OwnCluster>, sentinels: Promise<OwnSentinels>): Promise<[OwnCluster, OwnSentinels]> {
  const [c, s] = await Promise.allSettled([cluster, sentinels]);
  if (c.status === 'fulfilled' && s.status === 'fulfilled') return [c.value, s.value];
  if (c.status === 'fulfilled') await c.value.stop();
  if (s.status === 'fulfilled') await s.value.stop();
  throw c.status === 'rejected' ? c.reason : (s as PromiseRejectedResult).reason;
}
