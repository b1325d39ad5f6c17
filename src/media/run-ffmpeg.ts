/** @module Runs ffmpeg and ffprobe with a timeout and a signal, keeping the tail of their log for error messages. */
import { spawn } from 'node:child_process';
import { CutroomError, ErrorCode } from '../errors.ts';

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  /** @defaultValue 300000 */
  timeoutMs?: number;
  /** Which operation this is, for error messages (e.g. `finish render`). */
  label: string;
  /** Called with how far the output has got, in seconds of media (from `-progress`), about twice a second. */
  onProgress?: (outSeconds: number) => void;
}

const LOG_TAIL_CHARS = 2000;

export function runFfmpeg(args: string[], options: RunFfmpegOptions): Promise<void> {
  const progressArgs = options.onProgress ? ['-progress', 'pipe:1', '-nostats'] : [];
  let pending = '';
  const onStdout = options.onProgress
    ? (text: string) => {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^out_time_us=(\d+)/.exec(line);
          if (match) options.onProgress?.(Number(match[1]) / 1e6);
        }
      }
    : undefined;
  return spawnTool(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'error', ...progressArgs, ...args],
    options,
    onStdout,
  ).then(() => undefined);
}

export interface RunFfprobeOptions {
  signal?: AbortSignal;
  /** @defaultValue 20000 */
  timeoutMs?: number;
  label: string;
}

/** Runs ffprobe and resolves with what it printed. */
export function runFfprobe(args: string[], options: RunFfprobeOptions): Promise<string> {
  let stdout = '';
  return spawnTool(
    'ffprobe',
    ['-hide_banner', '-loglevel', 'error', ...args],
    {
      ...options,
      timeoutMs: options.timeoutMs ?? 20_000,
    },
    (text) => {
      stdout += text;
    },
  ).then(() => stdout);
}

/** A tool that exited with a failure: its exit status and the tail of what it logged. */
export class ToolFailedError extends CutroomError {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(ErrorCode.FfmpegFailed, message, {
      userMessage: 'The video could not be finished. Please try again.',
    });
    this.name = 'ToolFailedError';
  }
}

function spawnTool(
  tool: 'ffmpeg' | 'ffprobe',
  args: string[],
  options: { signal?: AbortSignal; timeoutMs?: number; label: string },
  onStdout?: (text: string) => void,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason ?? new Error('aborted'));
      return;
    }
    const child = spawn(tool, args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
    });
    child.stdout?.setEncoding('utf8').on('data', (text: string) => onStdout?.(text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new CutroomError(ErrorCode.FfmpegFailed, `${options.label}: ${tool} exceeded ${timeoutMs} ms`, {
          retryable: true,
        }),
      );
    }, timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        error.code === 'ENOENT'
          ? new CutroomError(
              ErrorCode.ToolMissing,
              `${tool} is not installed (run: npm run setup, or apt-get install ffmpeg)`,
            )
          : new CutroomError(ErrorCode.FfmpegFailed, `${options.label}: ${error.message}`, { cause: error }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) {
        reject(options.signal.reason ?? new Error('aborted'));
      } else if (code === 0) {
        resolve();
      } else {
        const log = stderr.trim() || '(no output)';
        reject(new ToolFailedError(`${options.label}: ${tool} exited with ${code ?? signal}: ${log}`, log));
      }
    });
  });
}
