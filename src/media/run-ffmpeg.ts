/** @module Runs ffmpeg and ffprobe with a timeout and a signal, keeping the tail of their log for error messages. */
import { spawn } from 'node:child_process';
import { CutroomError, ErrorCode } from '../errors.ts';

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  /** @defaultValue 300000 */
  timeoutMs?: number;
  /** Which operation this is, for error messages (e.g. `finish render`). */
  label: string;
  /** Receives what the program writes to stdout (`-f rawvideo -`, `metadata=print:file=-`); unset: ignored. */
  onStdout?: (chunk: Buffer) => void;
  /** Working directory, so filters can name files without filtergraph escaping. @defaultValue this process's */
  cwd?: string;
  /**
   * Called with how far the output has got, in seconds of media, about twice a second (ffmpeg's `-progress` on
   * stdout, so not together with `onStdout`).
   */
  onProgress?: (outSeconds: number) => void;
}

const LOG_TAIL_CHARS = 2000;

export function runFfmpeg(args: string[], options: RunFfmpegOptions): Promise<void> {
  const { onProgress } = options;
  if (!onProgress)
    return runTool('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], options);
  let pending = '';
  return runTool(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats', ...args],
    {
      ...options,
      onStdout: (chunk) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^out_time_us=(\d+)/.exec(line);
          if (match) onProgress(Number(match[1]) / 1e6);
        }
      },
    },
  );
}

/** A tool that exited with a failure (not a timeout or a missing program): its own verdict on the input. */
export class ToolFailedError extends CutroomError {
  constructor(
    message: string,
    /** The tail of what the tool logged. */
    readonly stderr: string,
  ) {
    super(ErrorCode.FfmpegFailed, message, {
      userMessage: 'The video could not be finished. Please try again.',
    });
    this.name = 'ToolFailedError';
  }
}

/** Runs ffprobe (which has no `-nostdin`) and resolves with everything it printed to stdout. */
export async function runFfprobe(
  args: string[],
  options: Omit<RunFfmpegOptions, 'onStdout'>,
): Promise<string> {
  const chunks: Buffer[] = [];
  await runTool('ffprobe', ['-hide_banner', '-loglevel', 'error', ...args], {
    ...options,
    onStdout: (chunk) => chunks.push(chunk),
  });
  return Buffer.concat(chunks).toString('utf8');
}

function runTool(program: 'ffmpeg' | 'ffprobe', args: string[], options: RunFfmpegOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (options.signal?.aborted) return Promise.reject(options.signal.reason ?? new Error('aborted'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      stdio: ['ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    if (options.onStdout) child.stdout?.on('data', options.onStdout);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new CutroomError(ErrorCode.FfmpegFailed, `${options.label}: ${program} exceeded ${timeoutMs} ms`, {
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
              `${program} is not installed (run: npm run setup, or apt-get install ffmpeg)`,
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
        reject(
          new ToolFailedError(`${options.label}: ${program} exited with ${code ?? signal}: ${log}`, log),
        );
      }
    });
  });
}
