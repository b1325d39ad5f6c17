/**
 * @module Measures a file's sound level over short windows (RMS in dBFS, mono) with ffmpeg, streaming: a one-hour
 * clip never sits in memory as samples.
 */
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface AudioLevels {
  /** Length of one window in seconds. */
  windowSeconds: number;
  /** RMS level of each window in dBFS (full-scale sine ≈ −3), window k covering [k, k + 1) × windowSeconds. */
  db: Float32Array;
}

export interface ReadAudioLevelsOptions extends FfmpegWaitOptions {
  /** @defaultValue 0.01 */
  windowSeconds?: number;
}

/** Quieter than this counts as digital silence; keeps log10(0) out of the numbers. */
export const FLOOR_DB = -100;
const SAMPLE_RATE = 16_000;

/** @throws CutroomError ffmpeg_failed when the file has no decodable audio */
export async function readAudioLevels(
  filePath: string,
  options: ReadAudioLevelsOptions = {},
): Promise<AudioLevels> {
  const windowSeconds = options.windowSeconds ?? 0.01;
  const windowSamples = Math.max(1, Math.round(windowSeconds * SAMPLE_RATE));
  const levels: number[] = [];
  let sum = 0;
  let count = 0;
  let carry = new Uint8Array(0);
  const addSamples = (chunk: Buffer) => {
    // Copied into fresh memory: a Float32Array view needs 4-byte alignment, which pipe chunks do not promise.
    const data = new Uint8Array(carry.length + chunk.length);
    data.set(carry);
    data.set(chunk, carry.length);
    const usable = data.length - (data.length % 4);
    const samples = new Float32Array(data.buffer, 0, usable / 4);
    for (let i = 0; i < samples.length; i++) {
      sum += samples[i] * samples[i];
      if (++count === windowSamples) {
        levels.push(toDb(sum / count));
        sum = 0;
        count = 0;
      }
    }
    carry = data.slice(usable);
  };
  await runFfmpeg(
    [
      '-copyts',
      '-i',
      filePath,
      '-map',
      '0:a:0',
      '-vn',
      // Pads a late-starting track with silence, so window k is always source time k × windowSeconds.
      '-af',
      'aresample=async=1:first_pts=0',
      '-ac',
      '1',
      '-ar',
      String(SAMPLE_RATE),
      '-f',
      'f32le',
      '-',
    ],
    {
      label: 'measure sound levels',
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      onStdout: addSamples,
    },
  );
  if (count > windowSamples / 2) levels.push(toDb(sum / count));
  return { windowSeconds: windowSamples / SAMPLE_RATE, db: Float32Array.from(levels) };
}

function toDb(meanSquare: number): number {
  return meanSquare > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(meanSquare)) : FLOOR_DB;
}
