import type { CoreV1Event } from '@kubernetes/client-node';
import { statusOf } from './client.ts';
import { errorMessage, type TargetContext } from './context.ts';

export interface LogSource {
  pod: string;
  container: string;
  /** The instance before the last restart (a crash loop's crashed one). */
  previous: boolean;
}

/**
 * What a failure's logTail holds: the last log lines of the failing container, then the
 * recent events of the objects involved (e.g. the Deployment, its ReplicaSet, the pod).
 */
export async function diagnose(
  ctx: TargetContext,
  namespace: string,
  what: { logs: LogSource | null; objects: { kind: string; name: string }[] },
): Promise<string[]> {
  const lines: string[] = [];
  if (what.logs) lines.push(...(await logLines(ctx, namespace, what.logs)));
  lines.push(...(await eventLines(ctx, namespace, what.objects)));
  return lines;
}

async function logLines(ctx: TargetContext, namespace: string, source: LogSource): Promise<string[]> {
  const read = (previous: boolean) =>
    ctx.api.podLog(namespace, source.pod, source.container, { previous, tailLines: ctx.timing.logTailLines });
  let text: string;
  let previous = source.previous;
  try {
    text = await read(previous);
  } catch (error) {
    // No previous instance yet (400): the current one's logs are the next best.
    if (!previous || statusOf(error) !== 400) return [`(no logs: ${errorMessage(error)})`];
    previous = false;
    try {
      text = await read(false);
    } catch (again) {
      return [`(no logs: ${errorMessage(again)})`];
    }
  }
  const logLines = text.split('\n').filter((line) => line.trim() !== '').slice(-ctx.timing.logTailLines);
  const heading = `--- logs of ${source.pod}/${source.container}${previous ? ' (previous instance)' : ''} ---`;
  return logLines.length === 0 ? [heading, '(empty)'] : [heading, ...logLines];
}

async function eventLines(ctx: TargetContext, namespace: string, objects: { kind: string; name: string }[]): Promise<string[]> {
  if (objects.length === 0) return [];
  let events: CoreV1Event[];
  try {
    events = (await ctx.api.list('Event', namespace)).items;
  } catch (error) {
    return [`(no events: ${errorMessage(error)})`];
  }
  const wanted = new Set(objects.map((o) => `${o.kind}/${o.name}`));
  const relevant = events
    .filter((e) => wanted.has(`${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`))
    .sort((a, b) => timeOf(a) - timeOf(b))
    .slice(-ctx.timing.eventLines);
  if (relevant.length === 0) return [];
  return ['--- events ---', ...relevant.map(formatEvent)];
}

function timeOf(event: CoreV1Event): number {
  const when: unknown = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  const ms = when === undefined || when === null ? Number.NaN : new Date(when as string | Date).getTime();
  return Number.isFinite(ms) ? ms : 0;
}

function formatEvent(event: CoreV1Event): string {
  const count = (event.count ?? 1) > 1 ? ` (x${event.count})` : '';
  const object = `${event.involvedObject?.kind ?? ''}/${event.involvedObject?.name ?? ''}`;
  return `${event.type ?? 'Normal'} ${event.reason ?? ''} ${object}: ${(event.message ?? '').trim()}${count}`;
}
