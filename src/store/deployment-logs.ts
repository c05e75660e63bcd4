import type { Db } from './database.ts';
import { fencedWrite } from './fence.ts';

/** A deployment's log: lines written in batches while it runs, read by id. */
export async function appendLogLines(db: Db, id: number, lines: { service: string | null; line: string }[]): Promise<void> {
  if (lines.length === 0) return;
  await fencedWrite(db, id, async (trx) => {
    await trx
      .insertInto('deployment_logs')
      .values(lines.map((l) => ({ deployment_id: id, service: l.service, line: l.line })))
      .execute();
  });
}

export interface LogLine {
  id: number;
  /** The service the line is about; null for notes about the deployment as a whole. */
  service: string | null;
  line: string;
  at: Date;
}

interface LogFilter {
  /** One service's lines only; null or absent: every line. */
  service?: string | null;
}

function logQuery(db: Db, id: number, filter: LogFilter) {
  let query = db.selectFrom('deployment_logs').select(['id', 'service', 'line', 'at']).where('deployment_id', '=', id);
  if (filter.service != null) query = query.where('service', '=', filter.service);
  return query;
}

const asLogLine = (row: { id: number; service: string | null; line: string; at: Date | string }): LogLine => ({
  id: row.id,
  service: row.service,
  line: row.line,
  at: new Date(row.at),
});

/** A deployment's log lines after `afterId` (0: from the first), oldest first, at most `limit`. */
export async function logLines(db: Db, id: number, options: LogFilter & { afterId?: number; limit?: number } = {}): Promise<LogLine[]> {
  const rows = await logQuery(db, id, options)
    .where('id', '>', options.afterId ?? 0)
    .orderBy('id')
    .limit(options.limit ?? 1000)
    .execute();
  return rows.map(asLogLine);
}

/** The last `count` lines of a deployment's log, oldest first. */
export async function lastLogLines(db: Db, id: number, count: number, options: LogFilter = {}): Promise<LogLine[]> {
  const rows = await logQuery(db, id, options).orderBy('id', 'desc').limit(count).execute();
  return rows.reverse().map(asLogLine);
}
