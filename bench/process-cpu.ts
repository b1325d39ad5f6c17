/**
 * @module CPU time spent by this process and the browsers and tools it started, read from /proc: where a render's
 * CPU-seconds go, and so how fast it could be at best on this machine's cores.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU milliseconds by role. */
export interface CpuUse {
  rendererMainThread: number;
  rendererOtherThreads: number;
  otherChromium: number;
  /** Children that have exited and been waited for (ffmpeg). */
  exitedChildren: number;
  node: number;
}

const TICK_MS = 10;

interface ProcessTimes {
  parent: number;
  /** utime + stime. */
  own: number;
  /** cutime + cstime: children already waited for. */
  children: number;
}

function times(stat: string): ProcessTimes {
  // The command name may contain spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    parent: Number(fields[1]),
    own: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
    children: (Number(fields[13]) + Number(fields[14])) * TICK_MS,
  };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A snapshot of the CPU used so far by this process and every descendant. */
export function cpuSnapshot(): CpuUse {
  const root = process.pid;
  const all = new Map<number, ProcessTimes>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    const stat = Number.isInteger(pid) ? read(`/proc/${pid}/stat`) : undefined;
    if (stat) all.set(pid, times(stat));
  }
  const use: CpuUse = {
    rendererMainThread: 0,
    rendererOtherThreads: 0,
    otherChromium: 0,
    exitedChildren: all.get(root)?.children ?? 0,
    node: 0,
  };
  const usage = process.cpuUsage();
  use.node = (usage.user + usage.system) / 1000;
  for (const [pid, t] of all) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = all.get(p)?.parent;
    if (p !== root || pid === root) continue;
    // Chromium rewrites its command line with spaces between arguments.
    const command = read(`/proc/${pid}/cmdline`) ?? '';
    if (!command.includes('--type=renderer')) {
      use.otherChromium += t.own;
      continue;
    }
    const main = read(`/proc/${pid}/task/${pid}/stat`);
    const mainMs = main ? times(main).own : 0;
    use.rendererMainThread += mainMs;
    use.rendererOtherThreads += t.own - mainMs;
  }
  return use;
}

/** CPU used between two snapshots; processes that exited in between are lost, except waited-for children. */
export function cpuBetween(before: CpuUse, after: CpuUse): CpuUse {
  const keys = Object.keys(before) as (keyof CpuUse)[];
  return Object.fromEntries(keys.map((k) => [k, Math.max(0, after[k] - before[k])])) as unknown as CpuUse;
}

export function totalCpu(use: CpuUse): number {
  return Object.values(use).reduce((sum, ms) => sum + ms, 0);
}

/** The shortest wall time that much CPU could take on this machine's cores, however well it overlapped. */
export function floorOnCores(use: CpuUse): number {
  return totalCpu(use) / cpus().length;
}
