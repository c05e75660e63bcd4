/**
 * `hoist worker` with the no-op target, as a process of its own (forked by
 * orchestration-hoist.ts with Hoist's environment variables). Tells the parent
 * `{ running: pid }` once it takes jobs; stops on SIGTERM or when the parent goes. On
 * `{ profile: 'start' }` it profiles its CPU until `{ profile: 'stop', file }`, and answers
 * `{ profiled: summary }` once the profile is written. On `{ count: 'start', callers }` it counts
 * the statements it sends to Postgres until `{ count: 'stop' }`, and answers `{ counted: … }`.
 */
import { parseEnv } from '../src/config/env.ts';
import { startCpuProfile, type CpuProfiling } from './cpu-profile.ts';
import { countStatementCallers, pgCounter } from './pg-counter.ts';
import { startHoist } from '../src/main.ts';
import { createNoopTarget } from '../test/fakes/noop-target.ts';

const env = parseEnv(process.env);
const noop = createNoopTarget();
const hoist = await startHoist({ env, mode: 'worker', shell: null, targetFor: () => noop.target });
process.send?.({ running: process.pid });

let profiling: CpuProfiling | null = null;
const counter = pgCounter();
process.on('message', (message: { profile?: 'start' | 'stop'; file?: string; count?: 'start' | 'stop'; callers?: boolean }) => {
  if (message.count === 'start') {
    countStatementCallers(message.callers === true);
    counter.start();
    process.send?.({ counting: true });
  } else if (message.count === 'stop') {
    process.send?.({ counted: counter.stop() });
  }
  void (async () => {
    if (message.profile === 'start' && profiling === null) {
      profiling = await startCpuProfile();
      process.send?.({ profiling: true });
    } else if (message.profile === 'stop' && profiling !== null && message.file) {
      const summary = await profiling.stop(message.file);
      profiling = null;
      process.send?.({ profiled: summary });
    }
  })();
});

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
