/**
 * @module What a clip holds, measured with ffmpeg: frame rate, shot changes, silent stretches and a coarse loudness
 * curve, all in source seconds rounded to the frame. The picture and the sound are measured at the same time.
 */
import { detectShots } from './detect-shots.ts';
import { detectSilences, loudnessCurve } from './detect-silences.ts';
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { readAudioLevels } from './read-audio-levels.ts';

export interface MediaAnalysisInput {
  path: string;
  kind: 'video' | 'audio' | 'image';
  /** Seconds. */
  duration: number;
  hasAudio: boolean;
}

export interface MediaAnalysis {
  /** Frames per second (video only). */
  fps?: number;
  /** Cut times: the first frame of each new shot, ascending. Empty for audio and images. */
  shots: number[];
  /** Silent stretches [start, end], ascending. Empty without sound. */
  silences: [number, number][];
  /** The level below which sound counted as silence, dBFS. */
  silenceThresholdDb?: number;
  /** Mean level per step, dBFS; unset without sound. */
  loudness?: { stepSeconds: number; db: number[] };
}

/** At most about this many loudness points, whatever the length. */
const LOUDNESS_POINTS = 60;

/** @throws CutroomError ffmpeg_failed when ffmpeg cannot read the file */
export async function analyseMedia(
  input: MediaAnalysisInput,
  options: FfmpegWaitOptions = {},
): Promise<MediaAnalysis> {
  // Picture and sound are measured at once; when one fails, the other stops too.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const wait = { signal, timeoutMs: options.timeoutMs ?? 120_000 };
  const picture = input.kind === 'video' ? analysePicture(input.path, wait) : undefined;
  const sound = input.hasAudio && input.kind !== 'image' ? readAudioLevels(input.path, wait) : undefined;
  const [video, decoded] = await Promise.all([picture, sound]).catch((error: unknown) => {
    failed.abort();
    throw error;
  });
  const fps = video?.fps;
  const round = (t: number) => roundToFrame(t, fps);
  const result: MediaAnalysis = { fps, shots: video?.shots ?? [], silences: [] };
  if (decoded) {
    // Encoders pad the last audio frame: what lies past the clip's end is not part of it.
    const windows = Math.ceil(input.duration / decoded.windowSeconds - 1e-9);
    const levels = { ...decoded, db: decoded.db.subarray(0, windows) };
    const silences = detectSilences(levels);
    result.silenceThresholdDb = Math.round(silences.thresholdDb * 10) / 10;
    result.silences = silences.intervals
      .map(([start, end]): [number, number] => [round(start), round(Math.min(end, input.duration))])
      .filter(([start, end]) => end > start);
    const stepSeconds = Math.max(1, Math.ceil(input.duration / LOUDNESS_POINTS));
    result.loudness = { stepSeconds, db: loudnessCurve(levels, stepSeconds) };
  }
  return result;
}

async function analysePicture(
  filePath: string,
  wait: FfmpegWaitOptions,
): Promise<{ fps: number; shots: number[] }> {
  const { fps, cuts } = await detectShots(filePath, wait);
  return { fps: Math.round(fps * 1000) / 1000, shots: cuts.map((t) => round6(t)) };
}

/** To the nearest frame time for video, to the millisecond for sound alone. */
function roundToFrame(seconds: number, fps: number | undefined): number {
  if (!fps) return Math.round(seconds * 1000) / 1000;
  return round6(Math.round(seconds * fps) / fps);
}

function round6(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
