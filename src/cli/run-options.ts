import type { OptionSpec } from './arguments.ts';

export type RunMode = 'start' | 'server' | 'worker';

const HEADLESS: OptionSpec = { name: '--headless', takesValue: false };

/** The options of the commands that run Hoist; `server` is always headless, and takes the flag so one command line fits both. */
export const RUN_OPTIONS: Record<RunMode, readonly OptionSpec[]> = { start: [HEADLESS], server: [HEADLESS], worker: [] };
