import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { eventually } from './hoist-harness.ts';

/** A Redis of the test's own on its own port, which the test stops and starts again (no data kept between runs). */
export interface OwnRedis {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops answering without closing a connection (SIGSTOP), and resumes (SIGCONT). */
  freeze(): void;
  thaw(): void;
}

/**
 * Whether a Redis answers PING on this loopback port (signed in with `password` when it asks for
 * one; over TLS trusting `ca`, a PEM text, when given, and showing `client`'s certificate, PEM texts, when given).
 */
export async function answers(port: number, password?: string, ca?: string, shown?: { cert: string; key: string }): Promise<boolean> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // A TLS hello to a server that does not speak TLS is never answered.
    connectTimeout: 1_000,
    ...(password === undefined ? {} : { password }),
    // Whether it is up, not what its certificate names (the cluster's name its nodes by a host name).
    ...(ca === undefined ? {} : { tls: { ca, checkServerIdentity: () => undefined, ...shown } }),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function ownRedis(port: number): OwnRedis {
  let child: ChildProcess | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
      await eventually(() => answers(port), 10_000, `redis-server on port ${port}`);
    },
    async stop() {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
  };
}
