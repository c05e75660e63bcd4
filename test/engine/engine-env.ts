import { randomBytes } from 'node:crypto';

/** The engine and registry the engine tests run against (see scripts/setup-services.sh). */
export const dockerHost = process.env.DOCKER_HOST || 'unix:///run/podman/podman.sock';
export const registry = process.env.HOIST_REGISTRY_URL || '127.0.0.1:5000/hoist';
/** A FROM-scratch image holding a static busybox as /bin/busybox and /bin/sh. */
export const baseImage = process.env.HOIST_TEST_BASE_IMAGE || '127.0.0.1:5000/hoist-base/busybox:1';

/** A name no other test run uses, so runs never see each other's images or containers. */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}
