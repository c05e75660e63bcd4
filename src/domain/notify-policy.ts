/**
 * How loudly an environment's failures are told (`notify:` in hoist.yaml): besides the
 * deployment's thread, in its channel (`broadcastFailures`, by default for environments marked
 * `production: true`), to whom by name (`mention`: user ids and `@group` handles), and in a
 * channel of their own (`channel`: a short message linking to the thread).
 */
export interface NotifyPolicy {
  broadcastFailures: boolean;
  mention: readonly string[];
  channel: string | null;
}

/** What an environment without `notify:` does: its failures are broadcast when it is production. */
export function defaultNotifyPolicy(production: boolean): NotifyPolicy {
  return { broadcastFailures: production, mention: [], channel: null };
}
