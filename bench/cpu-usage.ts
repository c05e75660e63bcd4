import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time spent by the parts of a run, read from Linux's /proc: this process (Hoist in start
 * or server mode, and the bench's own requests), the worker processes given by pid, and the
 * Postgres and Redis servers and the image registry on the machine (every process of theirs,
 * those ended included through their parent). Elsewhere than Linux there is nothing to read:
 * null.
 */
export interface CpuSnapshot {
  readonly seconds: Record<string, number>;
  /** The whole machine's CPU time from /proc/stat, in ticks: busy (anything but idle and iowait), all, and stolen (run by the hypervisor for others: within busy). */
  readonly machine: { busy: number; all: number; stolen: number } | null;
}

/** The machine's CPU ticks so far: every CPU's, busy, all and stolen (null where /proc/stat is not there). */
function machineTicks(): { busy: number; all: number; stolen: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal (guest time is within user already)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
    return { busy, all: busy + (idle ?? 0) + (iowait ?? 0), stolen: steal ?? 0 };
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100;

function stat(pid: string): { name: string; own: number; children: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i] ?? 0);
    return { name, own: (n(11) + n(12)) / TICKS_PER_SECOND, children: (n(13) + n(14)) / TICKS_PER_SECOND, ppid: n(1) };
  } catch {
    return null;
  }
}

export function cpuSnapshot(workerPids: readonly number[] = []): CpuSnapshot | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  const seconds: Record<string, number> = { hoist: 0, workers: 0, postgres: 0, redis: 0, registry: 0 };
  const workers = new Set(workerPids.map(String));
  for (const pid of pids) {
    const s = stat(pid);
    if (s === null) continue;
    if (pid === String(process.pid)) seconds.hoist = s.own;
    else if (workers.has(pid)) seconds.workers = (seconds.workers ?? 0) + s.own;
    else if (s.name === 'postgres') seconds.postgres = (seconds.postgres ?? 0) + s.own + (stat(String(s.ppid))?.name === 'postgres' ? 0 : s.children);
    else if (s.name === 'redis-server') seconds.redis = (seconds.redis ?? 0) + s.own;
    // The image registry on this machine (Distribution's `registry`, Debian's `docker-registry`): a deploy of a tag asks it.
    else if (s.name === 'registry' || s.name === 'docker-registry') seconds.registry = (seconds.registry ?? 0) + s.own;
  }
  return { seconds, machine: machineTicks() };
}

/** The share, 0–1, of all the machine's CPU time between two snapshots that `part` of it took. */
function machineShare(before: CpuSnapshot | null, after: CpuSnapshot | null, part: 'busy' | 'stolen'): number | null {
  if (!before?.machine || !after?.machine) return null;
  const all = after.machine.all - before.machine.all;
  return all > 0 ? Math.round(((after.machine[part] - before.machine[part]) / all) * 100) / 100 : null;
}

/**
 * How busy the machine's CPUs were between two snapshots, 0–1 (all of them together): near 1,
 * the run was bound by CPU; well below, by waiting (on locks, round trips, timers).
 */
export const machineBusy = (before: CpuSnapshot | null, after: CpuSnapshot | null): number | null => machineShare(before, after, 'busy');

/**
 * The share of the machine's CPU time between two snapshots that a virtual machine's host gave to
 * others (steal), 0–1: counted as busy above, and no process of the run had it. A run that had
 * much of it ran on less than the machine's CPUs.
 */
export const machineStolen = (before: CpuSnapshot | null, after: CpuSnapshot | null): number | null => machineShare(before, after, 'stolen');

/** CPU milliseconds per deployment of each part between two snapshots. */
export function cpuPerDeployment(before: CpuSnapshot | null, after: CpuSnapshot | null, deployments: number): Record<string, number> | null {
  if (before === null || after === null || deployments === 0) return null;
  const out: Record<string, number> = {};
  let total = 0;
  for (const [part, end] of Object.entries(after.seconds)) {
    const ms = ((end - (before.seconds[part] ?? 0)) * 1000) / deployments;
    if (ms <= 0) continue;
    out[part] = Math.round(ms * 100) / 100;
    total += ms;
  }
  out.total = Math.round(total * 100) / 100;
  return out;
}
