import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { pack } from 'tar-stream';
import { demuxLogs, followProgress } from '../../src/engine/docker/client.ts';
import { baseImage } from './engine-env.ts';

/** Builds a tiny FROM-scratch busybox image on the engine from a Dockerfile's instructions after FROM. */
export async function buildImage(docker: Dockerode, image: string, instructions: string, files: Record<string, string> = {}): Promise<string> {
  const context = pack();
  context.entry({ name: 'Dockerfile' }, `FROM ${baseImage}\n${instructions}\n`);
  for (const [name, content] of Object.entries(files)) context.entry({ name }, content);
  context.finalize();
  const stream = await docker.buildImage(context as unknown as Readable, { t: image, forcerm: true });
  const result = await followProgress(stream as Readable);
  if (!result.ok) throw new Error(`building ${image}: ${result.error}`);
  return image;
}

/** Runs a command in a running container and returns what it printed (stdout and stderr). */
export async function execIn(docker: Dockerode, containerId: string, command: string[]): Promise<string> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  // Podman may reset the attach connection once the command is done: its output is all there by then.
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  return demuxLogs(Buffer.concat(chunks)).combined.trim();
}

/** Removes every container and volume Hoist made for `app`. */
export async function removeApp(docker: Dockerode, app: string): Promise<void> {
  const filters = { label: [`io.hoist.app=${app}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
}
