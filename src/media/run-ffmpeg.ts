/** @module Runs ffmpeg with a timeout and a signal, keeping the tail of its log for error messages. */
import { spawn } from 'node:child_process';
import { CutroomError, ErrorCode } from '../errors.ts';

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  /** @defaultValue 300000 */
  timeoutMs?: number;
  /** Which operation this is, for error messages (e.g. `finish render`). */
  label: string;
}

const LOG_TAIL_CHARS = 2000;

export function runFfmpeg(args: string[], options: RunFfmpegOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new CutroomError(ErrorCode.FfmpegFailed, `${options.label}: ffmpeg exceeded ${timeoutMs} ms`, {
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
              'ffmpeg is not installed (run: npm run setup, or apt-get install ffmpeg)',
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
        reject(
          new CutroomError(
            ErrorCode.FfmpegFailed,
            `${options.label}: ffmpeg exited with ${code ?? signal}: ${stderr.trim() || '(no output)'}`,
            { userMessage: 'The video could not be finished. Please try again.' },
          ),
        );
      }
    });
  });
}
