import type { Db } from '../store/database.ts';
import { lastLogLines, logLines } from '../store/deployment-logs.ts';
import { getDeployment } from '../store/deployments.ts';
import type { LogLineView, LogQuery, LogsResult, Refusal } from './contract.ts';
import { list, refuse } from './lookup.ts';
import type { SecretMasks } from './secret-masks.ts';

const MAX_LOG_LINES = 1000;
const DEFAULT_LIMIT = 500;
/** Line ids are Postgres integers. */
const MAX_LINE_ID = 2_147_483_647;

const isCount = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_LOG_LINES;

function checkQuery(query: LogQuery): Refusal | null {
  const { tail = null, after = null, limit = null } = query;
  if (tail !== null) {
    if (after !== null || limit !== null) {
      return refuse('BAD_REQUEST', 'tail: give either `tail` (the last N lines) or `after`/`limit` (a page forward), not both');
    }
    if (!isCount(tail)) return refuse('BAD_REQUEST', `tail: expected a whole number from 1 to ${MAX_LOG_LINES} (the last N lines)`);
  }
  if (after !== null && !(Number.isInteger(after) && after >= 0 && after <= MAX_LINE_ID)) {
    return refuse('BAD_REQUEST', 'after: expected a line id (a whole number; 0 for the first line), such as the previous page’s `nextAfter`');
  }
  if (limit !== null && !isCount(limit)) {
    return refuse('BAD_REQUEST', `limit: expected a whole number from 1 to ${MAX_LOG_LINES} (default ${DEFAULT_LIMIT})`);
  }
  return null;
}

/** A deployment's stored log: the last lines, or pages forward from a line id, the secrets it knows masked in them. */
export function createLogs(deps: { db: Db; masks: SecretMasks }) {
  const { db, masks } = deps;

  async function deploymentLogs(id: number, query: LogQuery = {}): Promise<LogsResult> {
    const bad = checkQuery(query);
    if (bad !== null) return bad;
    const deployment = await getDeployment(db, id);
    if (deployment === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    const service = query.service ?? null;
    if (service !== null && !deployment.services.some((s) => s.name === service)) {
      return refuse('UNKNOWN_SERVICE', `#${id} has no service "${service}"; its services: ${list(deployment.services.map((s) => s.name))}`);
    }
    const masker = await masks.forDeployment(deployment);
    const masked = (lines: LogLineView[]) => {
      const texts = masker.lines(lines.map((l) => l.line));
      return lines.map((l, i) => ({ ...l, line: texts[i]! }));
    };
    const reason = deployment.reason === null ? null : masker.text(deployment.reason);
    const found = { ok: true, deploymentId: id, app: deployment.app, env: deployment.env, status: deployment.status, reason } as const;
    if (query.tail != null) {
      return { ...found, lines: masked(await lastLogLines(db, id, query.tail, { service })), nextAfter: null };
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    // One line more than asked tells whether another page follows.
    const lines = await logLines(db, id, { service, afterId: query.after ?? 0, limit: limit + 1 });
    const more = lines.length > limit;
    const page = more ? lines.slice(0, limit) : lines;
    return { ...found, lines: masked(page), nextAfter: more ? page.at(-1)!.id : null };
  }

  return { deploymentLogs };
}
