/** @module Resident memory of a process tree, read from /proc: how much the browsers a process started hold. */
import { readdirSync, readFileSync } from 'node:fs';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields resume after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Sum of RSS of every descendant of `root` whose command name contains `name`. */
export function descendantRss(root: number, name: string): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) parents.set(pid, parent);
  }
  let total = 0;
  for (const pid of parents.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== root) p = parents.get(p);
    if (p === root && pid !== root && commandOf(pid).includes(name)) total += rssBytes(pid);
  }
  return total;
}

/** Samples `descendantRss` every `intervalMs` until stopped; returns the peak. */
export function trackPeakRss(root: number, name: string, intervalMs = 100): { stop(): number } {
  let peak = descendantRss(root, name);
  const timer = setInterval(() => {
    peak = Math.max(peak, descendantRss(root, name));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, descendantRss(root, name));
    },
  };
}
