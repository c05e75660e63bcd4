/**
 * The floor the status read is compared with: a bare Hono app on the same
 * @hono/node-server listener Hoist uses, in a process of its own (as Hoist is),
 * answering a constant JSON body. Forked by bench/reads.ts; sends `{ port }` once
 * listening and stops when the parent disconnects.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
const body = { app: 'hello', env: 'local', status: 'DEPLOYED' };
app.get('/constant', (c) => c.json(body));
const server = createServer(getRequestListener(app.fetch));
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
