/** @module Runs the `cutroom` command line as a user does: a real Node process, its exit code and its output. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/cutroom.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cutroom …args` in `cwd` with quiet logs; never rejects for a non-zero exit. */
export function runCutroom(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, CUTROOM_LOG_LEVEL: 'error', ...options.env },
    timeout: options.timeoutMs ?? 180_000,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: CliResult) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}
