import { Agent, request } from 'undici';
import { openLoop, type Sample, type Schedule } from './open-loop.ts';

/** GETs of one URL at a fixed rate (the reads scenario). */
export interface ReadPlan extends Schedule {
  kind: 'reads';
  url: string;
  headers: Record<string, string>;
  /** Keep-alive sockets the client may open to the app. */
  connections: number;
}

/** Sends the plan's GETs open loop; an answer other than 200 counts as an error. */
export async function runReadLoop(plan: ReadPlan): Promise<Sample[]> {
  const agent = new Agent({ connections: plan.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  try {
    return await openLoop(plan, async () => {
      const res = await request(plan.url, { method: 'GET', headers: plan.headers, dispatcher: agent });
      await res.body.text();
      return { status: res.statusCode, error: res.statusCode === 200 ? null : `HTTP ${res.statusCode}` };
    });
  } finally {
    await agent.close();
  }
}
