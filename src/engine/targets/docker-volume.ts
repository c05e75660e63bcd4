import type Dockerode from 'dockerode';
import { dataPathOf } from '../../domain/data-path.ts';
import type { ServiceSpec } from '../../domain/deployment-set.ts';
import { isNotFound } from '../docker/client.ts';
import type { Placement } from '../ports.ts';
import { LABELS, volumeName } from './container-spec.ts';

export type DataVolume = { ok: true; volume: { name: string; path: string } | null } | { ok: false; reason: string; logTail: string[] };

/**
 * A database's named volume, made (labelled with its app, environment and service) the first
 * time it runs and reused by every container after, so redeploys, restarts and rollbacks keep
 * its data. Anything but a database has none.
 */
export async function ensureDataVolume(docker: Dockerode, placement: Placement, service: ServiceSpec, image: string, log: (line: string) => void): Promise<DataVolume> {
  if (service.type !== 'database') return { ok: true, volume: null };
  const path = dataPathOf(service, image);
  if (path === null) {
    return { ok: false, reason: `${service.name}: Hoist does not know where ${image} keeps its data: set \`path:\` in hoist.yaml`, logTail: [] };
  }
  const name = volumeName(placement, service.name);
  try {
    await docker.getVolume(name).inspect();
    return { ok: true, volume: { name, path } };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await docker.createVolume({
    Name: name,
    Labels: { [LABELS.app]: placement.app, [LABELS.env]: placement.env, [LABELS.service]: service.name },
  });
  log(`created volume ${name} for ${path}`);
  return { ok: true, volume: { name, path } };
}
