/**
 * Where a database keeps its data, for images whose data directory is well known. Both
 * targets mount the database's volume there; any other image says so with `path:`.
 */
const KNOWN_DATA_PATHS: Readonly<Record<string, string>> = {
  postgres: '/var/lib/postgresql/data',
  postgis: '/var/lib/postgresql/data',
  mysql: '/var/lib/mysql',
  mariadb: '/var/lib/mysql',
  mongo: '/data/db',
  redis: '/data',
  valkey: '/data',
};

/** The image's repository name without registry, path, tag or digest: `postgres` of `reg.test/lib/postgres:16`. */
export function imageRepositoryName(image: string): string {
  return image.replace(/@[^/]*$/, '').replace(/:[^/]*$/, '').split('/').pop() ?? '';
}

/** The data directory of a well-known database image; null when the image is not one of them. */
export function knownDataPath(image: string): string | null {
  return KNOWN_DATA_PATHS[imageRepositoryName(image)] ?? null;
}

/** Where the volume mounts: the configured `path`, else the image's known data directory, else null (it must be set). */
export function dataPathOf(service: { path?: string | null; image: string | null }, image = service.image): string | null {
  if (service.path) return service.path;
  return image === null ? null : knownDataPath(image);
}

export const KNOWN_DATA_IMAGES: readonly string[] = Object.keys(KNOWN_DATA_PATHS);
