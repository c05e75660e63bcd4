/**
 * `hoist worker` with the no-op target, as a process of its own (forked by
 * orchestration-hoist.ts with Hoist's environment variables). Tells the parent
 * `{ running: pid }` once it takes jobs; stops on SIGTERM or when the parent goes.
 */
import { parseEnv } from '../src/config/env.ts';
import { startHoist } from '../src/main.ts';
import { createNoopTarget } from '../test/fakes/noop-target.ts';

const env = parseEnv(process.env);
const noop = createNoopTarget();
const hoist = await startHoist({ env, mode: 'worker', shell: null, targetFor: () => noop.target });
process.send?.({ running: process.pid });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  hoist.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
