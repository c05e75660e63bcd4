import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * A V8 CPU profile of this process over a measured window (node:inspector, no restart with
 * --cpu-prof), written as a `.cpuprofile` that Chrome's DevTools and speedscope open, and
 * summed up by where the time went: Hoist's own modules, each package, Node's internals,
 * the garbage collector and idle time.
 */
export interface CpuProfiling {
  stop(file: string): Promise<ProfileSummary>;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds sampled in the window, idle included. */
  windowMs: number;
  /** The largest parts, milliseconds each, most first. */
  top: Record<string, number>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function startCpuProfile(): Promise<CpuProfiling> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return summarizeProfile(profile, file);
    },
  };
}

/** A frame's part: the first frame up its stack in a package, in Hoist's (or the bench's) code, or in Node's own. */
function partOf(chain: readonly ProfileNode['callFrame'][]): string {
  const leaf = chain[0]?.functionName ?? '';
  if (leaf === '(idle)' || leaf === '(garbage collector)' || leaf === '(program)') return leaf;
  for (const frame of chain) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
    if (pkg) return `package ${pkg[1]}`;
    const own = /\/(src|bench|test)\/(.+)$/.exec(frame.url);
    if (own) return `${own[1]}/${own[2]}`;
    if (frame.url.startsWith('node:')) return frame.url;
  }
  return '(other)';
}

export function summarizeProfile(profile: Profile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const parts = new Map<number, string>();
  const part = (id: number): string => {
    const known = parts.get(id);
    if (known !== undefined) return known;
    const chain: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node) chain.push(node.callFrame);
    }
    const found = partOf(chain);
    parts.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  let windowUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    windowUs += us;
    const name = part(id);
    totals.set(name, (totals.get(name) ?? 0) + us);
  });
  const top = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return { file, windowMs: Math.round(windowUs / 1000), top: Object.fromEntries(top.map(([k, us]) => [k, Math.round(us / 1000)])) };
}
