import { describe, expect, it } from 'vitest';
import { histogramDistance, packetSpikes, planShotSearch } from '../../../src/media/detect-shots.ts';
import type { SceneFrame } from '../../../src/media/read-scene-frames.ts';
import type { VideoPacket } from '../../../src/media/read-video-packets.ts';

const FPS = 30;

/** 30 fps packets: a key frame every `gop` frames, key frames 20 kB, others 2 kB unless sized otherwise. */
function packets(frames: number, gop: number, sizes: Record<number, number> = {}): VideoPacket[] {
  return Array.from({ length: frames }, (_, i) => ({
    time: i / FPS,
    key: i % gop === 0,
    bytes: sizes[i] ?? (i % gop === 0 ? 20_000 : 2_000),
  }));
}

function thumbnail(rgb: [number, number, number]): Uint8Array {
  const pixels = new Uint8Array(64 * 36 * 3);
  for (let i = 0; i < pixels.length; i += 3) pixels.set(rgb, i);
  return pixels;
}

function keyframe(
  frame: number,
  score: number,
  rgb: [number, number, number] = [120, 120, 120],
  mafd = score,
): SceneFrame {
  return { time: frame / FPS, mafd, score, pixels: thumbnail(rgb) };
}

/** Packets with key frames at the given frames, key frames 20 kB, others 2 kB unless sized otherwise. */
function packetsWithKeys(frames: number, keys: number[], sizes: Record<number, number> = {}): VideoPacket[] {
  return Array.from({ length: frames }, (_, i) => ({
    time: i / FPS,
    key: keys.includes(i),
    bytes: sizes[i] ?? (keys.includes(i) ? 20_000 : 2_000),
  }));
}

describe('planShotSearch', () => {
  it('searches nothing when key frames look alike and no packet stands out', () => {
    const plan = planShotSearch([keyframe(0, 0), keyframe(60, 1), keyframe(120, 1)], packets(180, 60), {
      cutScore: 10,
    });
    expect(plan).toEqual({ cuts: [], ranges: [] });
  });

  it('searches the stretch between two key frames of different colours, up to and including the later one', () => {
    const plan = planShotSearch(
      [keyframe(0, 0), keyframe(60, 2, [250, 10, 10]), keyframe(120, 1, [250, 10, 10])],
      packets(180, 60),
      { cutScore: 10 },
    );
    expect(plan.cuts).toEqual([]);
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0][0]).toBeCloseTo(0, 6);
    expect(plan.ranges[0][1]).toBeCloseTo(60 / FPS + 0.5 / FPS, 6);
  });

  it('searches a stretch whose key frames match but which holds one packet far larger than its neighbours', () => {
    const plan = planShotSearch(
      [keyframe(0, 0), keyframe(60, 1), keyframe(120, 1)],
      packets(180, 60, { 75: 15_000 }),
      {
        cutScore: 10,
      },
    );
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0][0]).toBeCloseTo(60 / FPS, 6);
  });

  it('searches two key frames far apart in pixels even when ffmpeg discounts the change as steady', () => {
    const plan = planShotSearch(
      [keyframe(0, 0), keyframe(60, 40, [120, 120, 120], 40), keyframe(120, 5, [120, 120, 120], 45)],
      packets(180, 60),
      { cutScore: 10 },
    );
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0][1]).toBeCloseTo(120 / FPS + 0.5 / FPS, 6);
  });

  it('takes a key frame the encoder started off its rhythm on a new picture as the cut, without decoding', () => {
    const keys = [0, 60, 75, 135];
    const frames = [
      keyframe(0, 0),
      keyframe(60, 1),
      keyframe(75, 40, [250, 0, 0]),
      keyframe(135, 1, [250, 0, 0]),
    ];
    expect(planShotSearch(frames, packetsWithKeys(180, keys), { cutScore: 10 })).toEqual({
      cuts: [75 / FPS],
      ranges: [],
    });
  });

  it('still searches before an off-rhythm key frame when a large packet comes first', () => {
    const keys = [0, 60, 75, 135];
    const frames = [
      keyframe(0, 0),
      keyframe(60, 1),
      keyframe(75, 40, [250, 0, 0]),
      keyframe(135, 1, [250, 0, 0]),
    ];
    const plan = planShotSearch(frames, packetsWithKeys(180, keys, { 70: 15_000 }), { cutScore: 10 });
    expect(plan.cuts).toEqual([]);
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0][0]).toBeCloseTo(60 / FPS, 6);
  });

  it('joins neighbouring stretches into one search', () => {
    const plan = planShotSearch(
      [
        keyframe(0, 0),
        keyframe(30, 30, [250, 0, 0]),
        keyframe(60, 30, [0, 250, 0]),
        keyframe(90, 0, [0, 250, 0]),
      ],
      packets(120, 30),
      { cutScore: 10 },
    );
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0][1]).toBeCloseTo(60 / FPS + 0.5 / FPS, 6);
  });

  it('decides intra-only video (every frame a key frame) from the key frames alone', () => {
    const frames = [
      keyframe(0, 0),
      keyframe(1, 2),
      keyframe(2, 40, [0, 0, 250]),
      keyframe(3, 1, [0, 0, 250]),
    ];
    const plan = planShotSearch(frames, packets(4, 1), { cutScore: 10 });
    expect(plan).toEqual({ cuts: [2 / FPS], ranges: [] });
  });

  it('searches the last stretch, after the last key frame, only when a packet stands out in it', () => {
    const quiet = planShotSearch([keyframe(0, 0), keyframe(60, 1)], packets(120, 60), { cutScore: 10 });
    expect(quiet.ranges).toEqual([]);
    const spiked = planShotSearch([keyframe(0, 0), keyframe(60, 1)], packets(120, 60, { 100: 15_000 }), {
      cutScore: 10,
    });
    expect(spiked.ranges).toHaveLength(1);
    expect(spiked.ranges[0][1]).toBeGreaterThan(119 / FPS);
  });
});

describe('packetSpikes', () => {
  it('ignores the regular big P-frame among small B-frames but finds a new picture', () => {
    const sizes: Record<number, number> = {};
    for (let i = 1; i < 60; i++) sizes[i] = i % 4 === 0 ? 900 : 120;
    sizes[33] = 9_000;
    expect(packetSpikes(packets(60, 60, sizes))).toEqual([33 / FPS]);
  });

  it('ignores spikes too small to be a picture on nearly static footage', () => {
    const sizes: Record<number, number> = {};
    for (let i = 1; i < 60; i++) sizes[i] = 20;
    sizes[10] = 90;
    expect(packetSpikes(packets(60, 60, sizes))).toEqual([]);
  });
});

describe('histogramDistance', () => {
  it('is 0 for the same colours and 1 for colours in no common bin', () => {
    expect(histogramDistance(thumbnail([10, 200, 30]), thumbnail([10, 200, 30]))).toBe(0);
    expect(histogramDistance(thumbnail([10, 10, 10]), thumbnail([250, 250, 250]))).toBe(1);
  });
});
