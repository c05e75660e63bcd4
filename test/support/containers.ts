import Dockerode from 'dockerode';
import { DOCKER_HOST } from './hoist-harness.ts';

export function testDocker(): Dockerode {
  return new Dockerode({ socketPath: DOCKER_HOST.replace(/^unix:\/\//, '') });
}

/**
 * Tags the engine's `source` as `repository:tag` and pushes it, as someone's push over that tag
 * leaves both the engine and the registry.
 */
export async function pushOver(source: string, repository: string, tag: string): Promise<void> {
  const docker = testDocker();
  await docker.getImage(source).tag({ repo: repository, tag });
  const stream = await docker.getImage(repository).push({ tag });
  const events = await new Promise<{ error?: string }[]>((resolve, reject) => docker.modem.followProgress(stream, (error, output) => (error ? reject(error) : resolve(output as { error?: string }[]))));
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`pushing over ${repository}:${tag} failed: ${failed.error}`);
}

/** Removes every container Hoist made for `app`. */
export async function removeAppContainers(app: string): Promise<void> {
  const docker = testDocker();
  const containers = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

export interface EngineEvent {
  action: string;
  env: string;
  deploymentId: number;
  name: string;
  time: number;
}

/** Container events the engine saw for `app` between two instants (seconds), oldest first. */
export async function containerEvents(app: string, since: number, until: number): Promise<EngineEvent[]> {
  const docker = testDocker();
  const stream = (await docker.getEvents({
    since,
    until,
    filters: { type: ['container'], label: [`io.hoist.app=${app}`] },
  })) as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  const events: EngineEvent[] = [];
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { Action?: string; status?: string; timeNano?: number; time?: number; Actor?: { Attributes?: Record<string, string> } };
    const attributes = e.Actor?.Attributes ?? {};
    events.push({
      action: e.Action ?? e.status ?? '',
      env: attributes['io.hoist.env'] ?? '',
      deploymentId: Number(attributes['io.hoist.deployment']),
      name: attributes.name ?? '',
      time: e.timeNano ?? (e.time ?? 0) * 1e9,
    });
  }
  return events.sort((a, b) => a.time - b.time);
}
