/**
 * @module Silent stretches and a coarse loudness curve from measured sound levels.
 *
 * "Silent" is relative to the recording, the way jump-cut tools judge it: a phone's room noise sits far above
 * digital silence, yet is a pause between sentences. The threshold sits between the quiet floor and the loud
 * parts, never closer than 10 dB to the loud parts, so quiet speech stays sound.
 */
import { type AudioLevels, FLOOR_DB } from './read-audio-levels.ts';

export interface DetectSilencesOptions {
  /** Shorter quiet stretches (the gaps between words) are not silences. @defaultValue 0.3 */
  minSeconds?: number;
  /** Level in dBFS below which a window is quiet. @defaultValue derived from the levels (silenceThreshold) */
  thresholdDb?: number;
}

export interface Silences {
  thresholdDb: number;
  /** [start, end] in source seconds, ascending, not overlapping. */
  intervals: [number, number][];
}

/** Sound shorter than this inside a quiet stretch (a click, a breath) does not end it. */
const BRIDGE_SECONDS = 0.03;

export function silenceThreshold(db: Float32Array): number {
  if (db.length === 0) return FLOOR_DB + 1;
  const sorted = Float32Array.from(db).sort();
  const loud = sorted[Math.floor(0.95 * (sorted.length - 1))];
  const quiet = sorted[Math.floor(0.05 * (sorted.length - 1))];
  const threshold = Math.min(loud - 10, Math.max(quiet + 8, loud - 35));
  return Math.max(FLOOR_DB + 1, threshold);
}

export function detectSilences(levels: AudioLevels, options: DetectSilencesOptions = {}): Silences {
  const { db, windowSeconds } = levels;
  const thresholdDb = options.thresholdDb ?? silenceThreshold(db);
  const minWindows = Math.ceil((options.minSeconds ?? 0.3) / windowSeconds - 1e-9);
  const bridge = Math.max(1, Math.round(BRIDGE_SECONDS / windowSeconds));
  const intervals: [number, number][] = [];
  let start = -1;
  let loudRun = 0;
  const close = (end: number) => {
    if (start >= 0 && end - start >= minWindows) intervals.push([start * windowSeconds, end * windowSeconds]);
    start = -1;
  };
  for (let i = 0; i < db.length; i++) {
    if (db[i] < thresholdDb) {
      if (start < 0) start = i;
      loudRun = 0;
    } else if (start >= 0 && ++loudRun > bridge) {
      close(i - loudRun + 1);
      loudRun = 0;
    }
  }
  close(db.length - (start >= 0 ? loudRun : 0));
  return { thresholdDb, intervals };
}

/** Mean level (dBFS, power average) of each `stepSeconds` of the levels, rounded to 0.1 dB. */
export function loudnessCurve(levels: AudioLevels, stepSeconds: number): number[] {
  const perStep = Math.max(1, Math.round(stepSeconds / levels.windowSeconds));
  const curve: number[] = [];
  for (let i = 0; i < levels.db.length; i += perStep) {
    let power = 0;
    const end = Math.min(levels.db.length, i + perStep);
    for (let j = i; j < end; j++) power += 10 ** (levels.db[j] / 10);
    const mean = power / (end - i);
    curve.push(Math.round(Math.max(FLOOR_DB, 10 * Math.log10(mean || 1e-10)) * 10) / 10);
  }
  return curve;
}
