/**
 * @module Test helper: Chromium's NetLog as a witness of name resolution. Every host name the browser's resolver is
 * asked for (by a page, WebRTC or the browser itself) appears as a HOST_RESOLVER_MANAGER_REQUEST with its host, and
 * every lookup that really runs as a HOST_RESOLVER_MANAGER_JOB. The file is complete once the browser has closed.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface NetLogFile {
  /** Flags that make Chromium write the log. */
  args: string[];
  /** Host names the resolver was asked for, as logged (after cutroom's resolver rules rewrote them). */
  resolverRequests(): Promise<string[]>;
  /** Lookups that actually ran (system resolver or Chromium's DNS client). */
  resolverJobs(): Promise<number>;
  close(): Promise<void>;
}

interface NetLog {
  constants: { logEventTypes: Record<string, number> };
  events: { type: number; phase: number; params?: Record<string, unknown> }[];
}

export async function createNetLog(): Promise<NetLogFile> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-netlog-'));
  // Chromium may run as the unprivileged cutroom-chromium user.
  await chmod(dir, 0o777);
  const file = path.join(dir, 'netlog.json');
  const read = async (): Promise<NetLog & { type: (name: string) => number }> => {
    let text = (await readFile(file, 'utf8')).trim();
    // A log cut short (the browser was killed) lacks its closing brackets.
    if (!text.endsWith('}')) text = `${text.replace(/,\s*$/, '')}]}`;
    const log = JSON.parse(text) as NetLog;
    return { ...log, type: (name) => log.constants.logEventTypes[name] };
  };
  return {
    args: [`--log-net-log=${file}`, '--net-log-capture-mode=Everything'],
    async resolverRequests() {
      const log = await read();
      return log.events
        .filter((e) => e.type === log.type('HOST_RESOLVER_MANAGER_REQUEST') && e.params?.host)
        .map((e) => String(e.params?.host));
    },
    async resolverJobs() {
      const log = await read();
      return log.events.filter((e) => e.type === log.type('HOST_RESOLVER_MANAGER_JOB')).length;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
