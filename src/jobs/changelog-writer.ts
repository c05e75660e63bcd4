import type { HoistConfig } from '../config/hoist-config.ts';
import { changelogBase, mayHaveChangelog } from '../domain/changelog.ts';
import type { LoggedEvent } from '../domain/event-log.ts';
import type { ChangelogSource } from '../engine/source/changelog-source.ts';
import { getDeployment, saveChangelog } from '../store/deployments.ts';
import { createEventConsumer, type EventConsumerDeps } from './event-consumer.ts';

/** The changelog's name as a consumer of the event log (its cursor, retries and failures). */
export const CHANGELOG_CONSUMER = 'changelog';

export interface ChangelogWriterDeps extends EventConsumerDeps {
  config: HoistConfig;
  source: ChangelogSource;
  /** Tells every process that new events are in the log (the card's update). */
  notify(): void;
}

/**
 * Works out what each deploy changes once it is requested, beside it: a slow or
 * rate-limited GitHub delays the card's changelog, never the deployment. A failed
 * attempt is tried again from the event log with back-off (event-consumer.ts), and
 * shows there (`event_retries`, `event_failures`) and in the log.
 */
export function createChangelogWriter(deps: ChangelogWriterDeps) {
  const log = deps.logger.child({ component: 'changelog' });
  const consumer = createEventConsumer(deps, { name: CHANGELOG_CONSUMER, groupOf: (event) => `deployment:${event.deploymentId ?? 0}` });

  async function handle(event: LoggedEvent): Promise<void> {
    const { entry } = event;
    if (entry.kind !== 'requested' || event.deploymentId === null) return;
    // The event says what was asked: only a deploy of a commit is read (events logged before they said so are read).
    if ((entry.action !== undefined && entry.action !== 'deploy') || (entry.sha !== undefined && !mayHaveChangelog(entry.sha))) return;
    const deployment = await getDeployment(deps.db, event.deploymentId);
    if (deployment === null || deployment.action !== 'deploy') return;
    const base = changelogBase(deployment.sha, deployment.services);
    const app = deps.config.apps.get(deployment.app);
    if (base === null || app === undefined) return;
    const outcome = await deps.source.changelog(app, base.from, base.to);
    if (!outcome.ok) {
      log.warn({ deploymentId: deployment.id, reason: outcome.reason }, 'no changelog for this deploy');
      return;
    }
    await saveChangelog(deps.db, deployment.id, outcome.changelog);
    deps.notify();
  }

  return {
    start: () => consumer.start(handle),
    /** One pass now (tests drive passes themselves). */
    pass: () => consumer.passWith(handle),
    close: consumer.close,
  };
}
