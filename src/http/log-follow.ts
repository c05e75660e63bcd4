import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { redact } from '../domain/redact.ts';
import { isFinal } from '../domain/status.ts';
import type { HoistService, LogLineView, LogQuery } from '../service/contract.ts';

/** How often a followed log is read again while its deployment runs. */
const POLL_MS = 250;
const PAGE = 500;

function lineJson(l: LogLineView): string {
  return `${JSON.stringify({ id: l.id, service: l.service, line: redact(l.line), at: l.at.toISOString() })}\n`;
}

/**
 * `?follow=1`: the log as newline-delimited JSON, one line object per log line, kept open
 * while the deployment runs and closed after its last line with
 * `{"end":true,"status":…,"reason":…}`. It starts where `tail` or `after` say (default: the
 * beginning). The first read is checked before anything is sent, so a bad request still gets
 * its JSON error.
 */
export async function followLog(
  c: Context,
  api: HoistService,
  id: number,
  query: LogQuery,
  refuse: (result: Exclude<Awaited<ReturnType<HoistService['deploymentLogs']>>, { ok: true }>) => Response,
): Promise<Response> {
  const first = await api.deploymentLogs(id, query.tail != null ? { tail: query.tail, service: query.service ?? null } : { after: query.after ?? null, limit: query.limit ?? PAGE, service: query.service ?? null });
  if (!first.ok) return refuse(first);
  c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  return stream(c, async (out) => {
    let open = true;
    out.onAbort(() => {
      open = false;
    });
    let after = first.lines.at(-1)?.id ?? query.after ?? 0;
    for (const line of first.lines) await out.write(lineJson(line));
    let ended = isFinal(first.status) && first.nextAfter === null;
    while (open) {
      // Whether it had ended is read before the lines: what it logged up to its end is then all there.
      const page = await api.deploymentLogs(id, { after, limit: PAGE, service: query.service ?? null });
      if (!page.ok) break;
      for (const line of page.lines) await out.write(lineJson(line));
      after = page.lines.at(-1)?.id ?? after;
      if (ended && page.lines.length === 0) {
        await out.write(`${JSON.stringify({ end: true, status: page.status, reason: page.reason === null ? null : redact(page.reason) })}\n`);
        break;
      }
      ended = isFinal(page.status);
      if (page.nextAfter === null) await out.sleep(POLL_MS);
    }
  });
}
