/**
 * GET /api/v1/namespaces/{ns}/pods/{name}/log: the current or previous
 * instance's output, with `container`, `previous`, `tailLines`, `timestamps`,
 * `limitBytes` and `follow` (held open until the instance stops, each line the
 * container writes meanwhile sent as it comes), and the kubelet's 400s for a
 * missing container choice or a container that never ran.
 */
import type { Exchange, HttpParts } from './http.ts';
import { byKind, type ResourceInfo } from './resources.ts';
import { badRequest, notFound } from './status.ts';
import type { Json } from './types.ts';

const POD = byKind('Pod') as ResourceInfo;

function nanoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export function serveLogs(parts: HttpParts, ex: Exchange, namespace: string | null, name: string, query: Record<string, string>): void {
  const pod = parts.registry.store.get('Pod', namespace, name);
  if (!pod) return ex.json(404, notFound(POD, name));
  const names: string[] = (pod.spec?.containers ?? []).map((c: Json) => c.name);
  const container = query.container ?? (names.length === 1 ? names[0] : undefined);
  if (!container) {
    return ex.json(400, badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`));
  }
  if (!names.includes(container)) return ex.json(400, badRequest(`container ${container} is not valid for pod ${name}`));
  const previous = query.previous === 'true';
  const outcome = parts.controlPlane.kubelet.logs(pod, container, previous);
  if (!outcome.ok) return ex.json(400, badRequest(outcome.message));

  const { instance } = outcome;
  const stamped = (from: number) => instance.logs.slice(from).map((line, i) =>
    (query.timestamps === 'true' ? `${nanoTimestamp(instance.writtenAt?.[from + i] ?? instance.startedAt)} ${line}` : line));
  let lines = stamped(0);
  const tail = query.tailLines === undefined ? undefined : Number(query.tailLines);
  if (tail !== undefined && tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);
  let text = lines.map((l) => `${l}\n`).join('');
  const limit = query.limitBytes === undefined ? undefined : Number(query.limitBytes);
  if (limit !== undefined && limit > 0) text = Buffer.from(text).subarray(0, limit).toString('utf8');

  const follow = query.follow === 'true' && !previous && outcome.instance.finishedAt === undefined;
  if (!follow) return ex.text(200, text);
  ex.head(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  ex.res.write(text);
  let sent = instance.logs.length;
  const stop = parts.controlPlane.onTick(() => {
    if (instance.logs.length > sent) {
      ex.res.write(stamped(sent).map((l) => `${l}\n`).join(''));
      sent = instance.logs.length;
    }
    if (parts.controlPlane.kubelet.instanceEnded(pod.metadata.uid, container)) {
      stop();
      ex.res.end();
    }
  });
  ex.res.on('close', stop);
}
