import type { HoistConfig } from '../config/hoist-config.ts';
import { ACTION_VERBS } from '../domain/command.ts';
import { changeText, diffSets, unifiedDiff } from '../domain/set-diff.ts';
import { PRE_RUN_STATUSES, SERVICE_STATUSES } from '../domain/status.ts';
import type { Db } from '../store/database.ts';
import { getDeployment, getDeploymentSet } from '../store/deployments.ts';
import { hasDeployments, listDeployments } from '../store/history.ts';
import type { DeploymentPage, DeploymentQuery, DiffResult, ManifestsResult } from './contract.ts';
import { list, refuse } from './lookup.ts';
import type { SecretMasks } from './secret-masks.ts';

const STATUSES: readonly string[] = [...SERVICE_STATUSES, ...PRE_RUN_STATUSES];
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Deployment ids are Postgres integers: a cursor past the largest would fail in the query. */
const MAX_DEPLOYMENT_ID = 2_147_483_647;

/** The cursor is opaque to clients: the last id of a page, so pages stay stable while new deployments arrive. */
function encodeCursor(beforeId: number): string {
  return Buffer.from(JSON.stringify({ before: beforeId })).toString('base64url');
}

function decodeCursor(cursor: string): number | null {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { before?: unknown };
    const before = parsed.before;
    return typeof before === 'number' && Number.isInteger(before) && before > 0 && before <= MAX_DEPLOYMENT_ID ? before : null;
  } catch {
    return null;
  }
}

/** Deployment history, the stored deployment sets, and diffs between them. */
export function createHistory(deps: { db: Db; config: HoistConfig; masks: SecretMasks }) {
  const { db, config, masks } = deps;

  const knownInStore = (column: 'app' | 'env', value: string) => hasDeployments(db, column, value);

  async function listAll(query: DeploymentQuery): Promise<DeploymentPage> {
    const app = query.app ?? null;
    const env = query.env ?? null;
    // An app or environment gone from the configuration still has its history.
    if (app !== null && !config.apps.has(app) && !(await knownInStore('app', app))) {
      return refuse('UNKNOWN_APP', `there is no app "${app}"; known apps: ${list(config.apps.keys())}`);
    }
    if (env !== null) {
      const candidates = app !== null ? [config.apps.get(app)] : [...config.apps.values()];
      const known = candidates.some((a) => a?.environments.has(env));
      if (!known && !(await knownInStore('env', env))) {
        const names = new Set(candidates.flatMap((a) => (a ? [...a.environments.keys()] : [])));
        return refuse('UNKNOWN_ENVIRONMENT', `there is no environment "${env}"${app !== null ? ` in app ${app}` : ''}; known environments: ${list(names)}`);
      }
    }
    const statuses = query.status ?? null;
    const unknown = (statuses ?? []).filter((s) => !STATUSES.includes(s));
    if (unknown.length > 0) {
      return refuse('BAD_REQUEST', `status: ${unknown.map((s) => `"${s}"`).join(', ')} is not a status; use one or more (comma-separated) of ${STATUSES.join(', ')}`);
    }
    const actions = query.action ?? null;
    const unknownActions = (actions ?? []).filter((a) => !(ACTION_VERBS as readonly string[]).includes(a));
    if (unknownActions.length > 0) {
      return refuse('BAD_REQUEST', `action: ${unknownActions.map((a) => `"${a}"`).join(', ')} is not an action; use one or more (comma-separated) of ${ACTION_VERBS.join(', ')}`);
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return refuse('BAD_REQUEST', `limit: expected a whole number from 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`);
    }
    let beforeId: number | null = null;
    if (query.cursor !== undefined && query.cursor !== null) {
      beforeId = decodeCursor(query.cursor);
      if (beforeId === null) return refuse('BAD_REQUEST', 'cursor: not a cursor this API gave out; pass `nextCursor` of the previous page, or none for the newest');
    }
    const page = await listDeployments(db, { app, env, statuses, actions, beforeId, limit });
    const last = page.rows.at(-1);
    const masker = await masks.forConfiguration();
    return {
      ok: true,
      items: page.rows.map((row) => (row.reason === null ? row : { ...row, reason: masker.text(row.reason) })),
      nextCursor: page.more && last !== undefined ? encodeCursor(last.id) : null,
    };
  }

  /** The set as stored, with its real values: never an answer as it is. */
  async function storedSet(id: number): Promise<ManifestsResult> {
    const deployment = await getDeployment(db, id);
    if (deployment === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    return { ok: true, deploymentId: id, app: deployment.app, env: deployment.env, set: await getDeploymentSet(db, id) };
  }

  async function manifests(id: number): Promise<ManifestsResult> {
    const found = await storedSet(id);
    if (!found.ok) return found;
    const masker = await masks.forDeployment({ id, app: found.app, env: found.env });
    return { ...found, set: masker.set(found.set) };
  }

  /** Both sets masked alike (one key): an unchanged secret compares equal, a changed one differs in its hash. */
  async function diff(id: number, against: number): Promise<DiffResult> {
    const [to, from] = await Promise.all([storedSet(id), storedSet(against)]);
    if (!to.ok) return to;
    if (!from.ok) return from;
    const masker = await masks.forDeployments([
      { id, app: to.app, env: to.env },
      { id: against, app: from.app, env: from.env },
    ]);
    const [before, after] = [masker.set(from.set), masker.set(to.set)];
    return {
      ok: true,
      from: against,
      to: id,
      changes: diffSets(before, after).map((change) => ({ ...change, text: changeText(change) })),
      unified: unifiedDiff(before, after, { before: `#${against}`, after: `#${id}` }),
    };
  }

  return { listDeployments: listAll, deploymentManifests: manifests, diffDeployments: diff };
}
