import type { Server } from 'node:http';
import { ConfigError } from '../config/errors.ts';

/** How long answers still being written may take to finish when Hoist stops. */
const CLOSE_GRACE_MS = 500;

/** Listens on `port`; a port in use is a configuration mistake that names the variable to change. */
export function listen(server: Server, port: number, host: string, variable: 'PORT' | 'HOIST_METRICS_PORT'): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new ConfigError('PORT_IN_USE', `port ${port} is already in use (set ${variable} to a free one)`, { cause: error }));
      } else reject(error);
    });
    server.listen(port, host, () => resolveListen());
  });
}

/**
 * Stops taking connections; idle ones close now, and answers still being written (an event
 * stream ending) get a moment to finish before every connection is cut.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(cut);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}
