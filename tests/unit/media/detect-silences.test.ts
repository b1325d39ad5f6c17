import { describe, expect, it } from 'vitest';
import { detectSilences, loudnessCurve, silenceThreshold } from '../../../src/media/detect-silences.ts';
import { FLOOR_DB } from '../../../src/media/read-audio-levels.ts';

const WINDOW = 0.01;

/** Levels for `seconds` of sound at `db`, one value per 10 ms window, from a list of [seconds, dB] pieces. */
function levels(...pieces: [number, number][]) {
  const db: number[] = [];
  for (const [seconds, level] of pieces)
    for (let i = 0; i < Math.round(seconds / WINDOW); i++) db.push(level);
  return { windowSeconds: WINDOW, db: Float32Array.from(db) };
}

describe('detectSilences', () => {
  it('finds digital silence between loud passages at the window where it starts and ends', () => {
    const { intervals } = detectSilences(
      levels([1, -12], [0.5, FLOOR_DB], [1, -12], [0.4, FLOOR_DB], [0.6, -12]),
    );
    expect(intervals).toHaveLength(2);
    expect(intervals[0][0]).toBeCloseTo(1, 5);
    expect(intervals[0][1]).toBeCloseTo(1.5, 5);
    expect(intervals[1][0]).toBeCloseTo(2.5, 5);
    expect(intervals[1][1]).toBeCloseTo(2.9, 5);
  });

  it("counts a phone's room noise as silence when speech stands well above it", () => {
    const { intervals, thresholdDb } = detectSilences(
      levels([2, -20], [0.6, -52], [2, -22], [0.8, -50], [1, -21]),
    );
    expect(thresholdDb).toBeGreaterThan(-50);
    expect(thresholdDb).toBeLessThan(-30);
    expect(intervals.map(([s, e]) => Math.round((e - s) * 10) / 10)).toEqual([0.6, 0.8]);
  });

  it('leaves out gaps between words that are shorter than the minimum', () => {
    const speech = levels([0.4, -18], [0.15, FLOOR_DB], [0.4, -18], [0.5, FLOOR_DB], [0.4, -18]);
    expect(detectSilences(speech).intervals).toHaveLength(1);
    expect(detectSilences(speech, { minSeconds: 0.1 }).intervals).toHaveLength(2);
  });

  it('does not let a click end a silence', () => {
    const { intervals } = detectSilences(
      levels([1, -12], [0.4, FLOOR_DB], [0.02, -6], [0.4, FLOOR_DB], [1, -12]),
    );
    expect(intervals).toHaveLength(1);
    expect(intervals[0][1] - intervals[0][0]).toBeCloseTo(0.82, 5);
  });

  it('reports a track of nothing but silence as one silence, and steady sound as none', () => {
    expect(detectSilences(levels([3, FLOOR_DB])).intervals).toEqual([[0, 3]]);
    expect(detectSilences(levels([3, -14])).intervals).toEqual([]);
  });

  it('ends a silence that runs to the end of the track at the end', () => {
    const { intervals } = detectSilences(levels([1, -12], [0.7, FLOOR_DB]));
    expect(intervals[0][0]).toBeCloseTo(1, 5);
    expect(intervals[0][1]).toBeCloseTo(1.7, 5);
  });
});

describe('silenceThreshold', () => {
  it('stays at least 10 dB under the loud parts, so quiet music is not silence', () => {
    expect(silenceThreshold(levels([5, -10], [5, -16]).db)).toBeLessThanOrEqual(-20);
  });
});

describe('loudnessCurve', () => {
  it('averages power, not decibels, over each step', () => {
    const curve = loudnessCurve(levels([0.5, -6], [0.5, FLOOR_DB], [1, -20]), 1);
    expect(curve).toEqual([-9, -20]);
  });
});
