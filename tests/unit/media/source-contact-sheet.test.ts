import { describe, expect, it } from 'vitest';
import { frameShownAt, sheetTimes } from '../../../src/media/source-contact-sheet.ts';

describe('sheetTimes', () => {
  it('takes one frame a second over a short range', () => {
    expect(sheetTimes(2, 7)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('spreads at most 30 frames over a long range on a round step', () => {
    const times = sheetTimes(0, 62.4);
    expect(times.length).toBeLessThanOrEqual(30);
    expect(times[1] - times[0]).toBe(3);
    expect(times.at(-1)).toBeLessThanOrEqual(62.4);
  });

  it('never samples faster than once a second', () => {
    expect(sheetTimes(1.25, 1.9)).toEqual([1.25]);
  });
});

describe('frameShownAt', () => {
  const packets = [0, 1 / 30, 2 / 30, 3 / 30].map((time) => ({ time, bytes: 1, key: time === 0 }));

  it('is the last frame starting at or before the time', () => {
    expect(frameShownAt(packets, 0.05)).toBeCloseTo(1 / 30, 9);
    expect(frameShownAt(packets, 2 / 30)).toBeCloseTo(2 / 30, 9);
    expect(frameShownAt(packets, 5)).toBeCloseTo(3 / 30, 9);
  });

  it('is the first frame for times before it', () => {
    expect(frameShownAt([{ time: 0.04, bytes: 1, key: true }, ...packets.slice(2)], 0)).toBeCloseTo(0.04, 9);
  });
});
