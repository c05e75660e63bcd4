import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * The image Hoist last ran for an app's built service at a commit, bound to the digest the
 * registry named when it was pushed (`<image>@sha256:…`, `image` being `<repository>:<commit>`),
 * or null when none was recorded: what a later build of that commit reuses, rather than whatever
 * the tag names in the registry by then.
 */
export async function builtImage(db: Db, where: { app: string; service: string; sha: string; image: string }): Promise<string | null> {
  const row = await db
    .selectFrom('deployment_services as s')
    .innerJoin('deployments as d', 'd.id', 's.deployment_id')
    .select('s.image')
    .where('d.app', '=', where.app)
    .where('s.name', '=', where.service)
    .where('s.version', '=', where.sha)
    .where(sql<boolean>`starts_with(s.image, ${`${where.image}@sha256:`})`)
    .orderBy('s.deployment_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.image ?? null;
}
