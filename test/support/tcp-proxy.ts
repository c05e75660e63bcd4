import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP port that forwards to another while open: closed, whoever connects through it
 * is refused and every connection through it is cut, as when a database server goes away.
 */
export interface TcpProxy {
  port: number;
  close(): Promise<void>;
  open(): Promise<void>;
  /** Cuts every connection through it and stays open: the clients reconnect, as after a network blip. */
  cut(): void;
  /**
   * From now on, a new connection's client writes reach the server until one carries
   * `pattern`; that write and every later one of the connection are held back (never sent),
   * as when the server stops reading in the middle of a conversation.
   */
  holdFrom(pattern: RegExp): void;
  /** How many client writes have been held back. */
  readonly held: number;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  let holdPattern: RegExp | null = null;
  let held = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = createConnection(target);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        const pattern = holdPattern;
        if (pattern === null) client.pipe(upstream);
        else {
          let holding = false;
          client.on('data', (chunk: Buffer) => {
            holding ||= pattern.test(chunk.toString('latin1'));
            if (holding) held += 1;
            else upstream.write(chunk);
          });
        }
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        port = typeof address === 'object' && address ? address.port : port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    get held() {
      return held;
    },
    async close() {
      const s = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise((resolve) => s.close(resolve));
    },
    open: listen,
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    holdFrom(pattern) {
      holdPattern = pattern;
    },
  };
}
