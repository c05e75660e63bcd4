/**
 * The load generator as a process of its own (forked by run.ts), so that
 * signing and sending requests does not share an event loop with the app
 * being measured. Protocol: the parent sends a LoadPlan (signed slash commands)
 * or a ReadPlan (GETs), this answers `{ samples }` or `{ error }`; it ends when the
 * parent disconnects.
 */
import { runOpenLoop, type LoadPlan, type Sample } from './open-loop.ts';
import { runReadLoop, type ReadPlan } from './read-loop.ts';

export type LoadReply = { samples: Sample[] } | { error: string };

const reply = (message: LoadReply): void => {
  process.send?.(message);
};

process.on('message', (plan: LoadPlan | ReadPlan) => {
  const run = 'kind' in plan && plan.kind === 'reads' ? runReadLoop(plan) : runOpenLoop(plan as LoadPlan);
  run.then(
    (samples) => reply({ samples }),
    (error: unknown) => reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

process.on('disconnect', () => process.exit(0));
