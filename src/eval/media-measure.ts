/**
 * @module What the eval's checks measure in a rendered file with ffmpeg: a frame's pixels at a time, the colour of a
 * region, how much of a region changed between two frames, and the sound level in a time span (optionally one band).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../media/run-ffmpeg.ts';

/** A frame scaled to a small fixed size, RGB bytes row by row. */
export interface Frame {
  width: number;
  height: number;
  rgb: Buffer;
}

/** A region as fractions of the frame: `[left, top, right, bottom]`, each 0–1. */
export type Region = [number, number, number, number];

export const WHOLE: Region = [0, 0, 1, 1];
export const CENTRE: Region = [0.35, 0.35, 0.65, 0.65];

/** Frames are compared at this size: small enough to be quick, large enough for a title's strokes. */
const FRAME_WIDTH = 160;
const FRAME_HEIGHT = 90;

/** Runs ffmpeg writing one output into a scratch file and returns its bytes. */
async function ffmpegBytes(args: (out: string) => string[], label: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-eval-measure-'));
  try {
    const out = path.join(dir, 'out.raw');
    await runFfmpeg(args(out), { label, timeoutMs: 60_000 });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The frame shown at `seconds`, scaled to 160x90 (whatever the file's aspect). */
export async function frameAt(file: string, seconds: number): Promise<Frame> {
  const rgb = await ffmpegBytes(
    (out) => [
      '-y',
      '-ss',
      String(Math.max(0, seconds)),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `scale=${FRAME_WIDTH}:${FRAME_HEIGHT}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      out,
    ],
    `eval: frame at ${seconds} s`,
  );
  if (rgb.length < FRAME_WIDTH * FRAME_HEIGHT * 3)
    throw new Error(`eval: no frame at ${seconds} s in ${file}`);
  return { width: FRAME_WIDTH, height: FRAME_HEIGHT, rgb };
}

function* pixels(frame: Frame, region: Region): Generator<number> {
  const [left, top, right, bottom] = region;
  for (let y = Math.floor(top * frame.height); y < Math.ceil(bottom * frame.height); y++) {
    for (let x = Math.floor(left * frame.width); x < Math.ceil(right * frame.width); x++) {
      yield (y * frame.width + x) * 3;
    }
  }
}

/** The mean colour of a region. */
export function meanColour(frame: Frame, region: Region = WHOLE): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (const i of pixels(frame, region)) {
    sum[0] += frame.rgb[i];
    sum[1] += frame.rgb[i + 1];
    sum[2] += frame.rgb[i + 2];
    n += 1;
  }
  return sum.map((v) => v / Math.max(1, n)) as [number, number, number];
}

/** Mean luma of a region, 0–255. */
export function brightness(frame: Frame, region: Region = WHOLE): number {
  const [r, g, b] = meanColour(frame, region);
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Whether a colour is near `target` (each channel within `tolerance`). */
export function near(
  colour: [number, number, number],
  target: [number, number, number],
  tolerance = 60,
): boolean {
  return colour.every((c, i) => Math.abs(c - target[i]) <= tolerance);
}

/** Share of a region's pixels near a colour (each channel within `tolerance`). */
export function shareNear(
  frame: Frame,
  region: Region,
  target: [number, number, number],
  tolerance = 70,
): number {
  let hits = 0;
  let n = 0;
  for (const i of pixels(frame, region)) {
    if (near([frame.rgb[i], frame.rgb[i + 1], frame.rgb[i + 2]], target, tolerance)) hits += 1;
    n += 1;
  }
  return hits / Math.max(1, n);
}

/** Share of a region's pixels whose colour moved by more than `step` (any channel) from one frame to the other. */
export function changedShare(a: Frame, b: Frame, region: Region, step = 60): number {
  let changed = 0;
  let n = 0;
  for (const i of pixels(a, region)) {
    if (Math.max(...[0, 1, 2].map((k) => Math.abs(a.rgb[i + k] - b.rgb[i + k]))) > step) changed += 1;
    n += 1;
  }
  return changed / Math.max(1, n);
}

/**
 * RMS level in dBFS of the file's sound between two times (mono, 16 kHz), optionally through a band-pass around one
 * frequency; -Infinity for silence or no sound at all.
 */
export async function soundLevel(
  file: string,
  from: number,
  to: number,
  band?: { hz: number; widthHz: number },
): Promise<number> {
  const filter = band ? ['-af', `bandpass=f=${band.hz}:width_type=h:w=${band.widthHz}`] : [];
  const pcm = await ffmpegBytes(
    (out) => [
      '-y',
      '-ss',
      String(from),
      '-t',
      String(Math.max(0.01, to - from)),
      '-i',
      file,
      '-vn',
      ...filter,
      '-ac',
      '1',
      '-ar',
      '16000',
      '-f',
      's16le',
      out,
    ],
    `eval: sound ${from}-${to} s`,
  ).catch(() => Buffer.alloc(0));
  const samples = Math.floor(pcm.length / 2);
  if (samples === 0) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const v = pcm.readInt16LE(i * 2) / 32768;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / samples);
  return rms === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(rms);
}
