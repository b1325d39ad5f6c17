/**
 * @module Clips with known content for inspect_media tests, made at test time: pictures that cut at known frames,
 * a tone with silent gaps at known times (ffmpeg), and speech (espeak-ng) whose word times are read back with
 * ffmpeg's own silencedetect, independently of cutroom's analysis.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Lavfi pictures different enough that a cut between any two is unmistakable. */
const PICTURES = ['testsrc2', 'smptehdbars', 'testsrc', 'rgbtestsrc', 'pal100bars', 'smptebars'];

export interface CutsAndGapsOptions {
  /** Seconds. @defaultValue 5 */
  seconds?: number;
  /** Cut times; each is rounded to a frame. @defaultValue [1.2, 2.5, 3.9] */
  cuts?: number[];
  /** Silent gaps in the tone, [start, end] seconds. @defaultValue [[1.5, 2.1], [3.2, 3.7]] */
  gaps?: [number, number][];
  width?: number;
  height?: number;
  fps?: number;
  /**
   * `scene-keyframes`: x264's defaults, which start a key frame at most cuts. `long-gop`: one key frame every 3 s
   * and no scene detection, with B-frames, so cuts fall inside groups of pictures. @defaultValue 'scene-keyframes'
   */
  encoding?: 'scene-keyframes' | 'long-gop';
  /** x264 preset for `scene-keyframes` (superfast makes long 1080p clips in reasonable time). @defaultValue 'veryfast' */
  x264Preset?: string;
  /** Key frame interval in frames for `scene-keyframes`. @defaultValue x264's (250) */
  gop?: number;
}

export interface CutsAndGapsClip {
  path: string;
  seconds: number;
  fps: number;
  cuts: number[];
  gaps: [number, number][];
}

/** A clip whose picture cuts at known frames and whose 440 Hz tone (−9 dBFS) is silent in known gaps. */
export async function cutsAndGapsClip(
  dir: string,
  name: string,
  options: CutsAndGapsOptions = {},
): Promise<CutsAndGapsClip> {
  const { seconds = 5, width = 640, height = 360, fps = 30, encoding = 'scene-keyframes' } = options;
  const cuts = (options.cuts ?? [1.2, 2.5, 3.9]).map((t) => Math.round(t * fps) / fps);
  const gaps = options.gaps ?? [
    [1.5, 2.1],
    [3.2, 3.7],
  ];
  const bounds = [0, ...cuts, seconds];
  const inputs: string[] = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    const picture = PICTURES[i % PICTURES.length];
    const frames = Math.round((bounds[i + 1] - bounds[i]) * fps);
    inputs.push(
      '-f',
      'lavfi',
      '-i',
      `${picture}=size=${width}x${height}:rate=${fps},trim=end_frame=${frames}`,
    );
  }
  const silent = gaps.map(([s, e]) => `not(between(t,${s},${e}))`).join('*') || '1';
  inputs.push('-f', 'lavfi', '-i', `aevalsrc='0.5*sin(2*PI*440*t)*${silent}':s=48000:d=${seconds}`);
  const segments = bounds.length - 1;
  const concat = `${Array.from({ length: segments }, (_, i) => `[${i}:v]`).join('')}concat=n=${segments}:v=1:a=0,format=yuv420p[v]`;
  const x264 =
    encoding === 'long-gop'
      ? ['-preset', 'medium', '-x264-params', `scenecut=0:keyint=${3 * fps}:min-keyint=${3 * fps}:bframes=3`]
      : ['-preset', options.x264Preset ?? 'veryfast', ...(options.gop ? ['-g', String(options.gop)] : [])];
  const out = path.join(dir, name);
  await ffmpeg([
    ...inputs,
    '-filter_complex',
    concat,
    '-map',
    '[v]',
    '-map',
    `${segments}:a`,
    '-c:v',
    'libx264',
    ...x264,
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    out,
  ]);
  return { path: out, seconds, fps, cuts, gaps };
}

export interface SpokenWord {
  text: string;
  start: number;
  end: number;
}

export interface SpokenClipOptions {
  /** Spoken one after another with `pauseSeconds` of silence between them. */
  sentences: string[];
  /** @defaultValue 0.8 */
  pauseSeconds?: number;
  /** Cut times of the picture (seconds); none keeps one picture. */
  cuts?: number[];
  width?: number;
  height?: number;
}

export interface SpokenClip {
  path: string;
  seconds: number;
  /** Every word with the times ffmpeg's silencedetect hears it at. */
  words: SpokenWord[];
  /** The silence between sentences, [start, end]. */
  pauses: [number, number][];
}

/**
 * A 30 fps clip whose sound is espeak-ng reading the sentences (words 120 ms apart, so each one is a separate burst
 * of sound) and whose picture cuts at the given times.
 */
export async function spokenClip(dir: string, name: string, options: SpokenClipOptions): Promise<SpokenClip> {
  const { sentences, pauseSeconds = 0.8, cuts = [], width = 640, height = 360 } = options;
  const work = await mkdtemp(path.join(tmpdir(), 'cutroom-speech-fixture-'));
  try {
    const parts: string[] = [];
    for (const [i, sentence] of sentences.entries()) {
      const wav = path.join(work, `s${i}.wav`);
      await run('espeak-ng', ['-g', '12', '-s', '150', '-w', wav, sentence]);
      parts.push(wav);
    }
    const speech = path.join(work, 'speech.wav');
    const inputs = parts.flatMap((p) => ['-i', p]);
    const gap = `anullsrc=r=22050:cl=mono,atrim=duration=${pauseSeconds}`;
    const chain = parts.map((_, i) => (i === 0 ? `[0:a]` : `[g${i}][${i}:a]`)).join('');
    const gaps = parts
      .slice(1)
      .map((_, i) => `${gap}[g${i + 1}]`)
      .join(';');
    const filter = `${gaps ? `${gaps};` : ''}${chain}concat=n=${2 * parts.length - 1}:v=0:a=1[a]`;
    await ffmpeg([...inputs, '-filter_complex', filter, '-map', '[a]', speech]);
    const seconds = Math.ceil((await mediaSeconds(speech)) * 10) / 10 + 0.3;
    const picture = await cutsAndGapsClip(work, 'picture.mp4', { seconds, cuts, gaps: [], width, height });
    const out = path.join(dir, name);
    await ffmpeg([
      '-i',
      picture.path,
      '-i',
      speech,
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'copy',
      '-af',
      'apad',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-t',
      String(seconds),
      '-movflags',
      '+faststart',
      out,
    ]);
    const bursts = await soundBursts(out, 0.08);
    const texts = sentences.join(' ').split(/\s+/);
    if (bursts.length !== texts.length) {
      throw new Error(
        `spokenClip: heard ${bursts.length} words, expected ${texts.length} (${texts.join(' ')})`,
      );
    }
    const words = bursts.map(([start, end], i) => ({ text: texts[i], start, end }));
    const pauses: [number, number][] = [];
    let w = 0;
    for (const sentence of sentences.slice(0, -1)) {
      w += sentence.split(/\s+/).length;
      pauses.push([words[w - 1].end, words[w].start]);
    }
    return { path: out, seconds, words, pauses };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Silent stretches of at least `minSilenceSeconds` as ffmpeg's silencedetect hears them (−40 dB), [start, end]. */
export async function silentStretches(file: string, minSilenceSeconds: number): Promise<[number, number][]> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-i',
    file,
    '-map',
    '0:a:0',
    '-af',
    `silencedetect=n=-40dB:d=${minSilenceSeconds}`,
    '-f',
    'null',
    '-',
  ]);
  const total = await mediaSeconds(file);
  const starts = [...stderr.matchAll(/silence_start: ([\d.]+)/g)].map((m) => Number(m[1]));
  const ends = [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
  return starts.map((start, i) => [start, ends[i] ?? total]);
}

/** Stretches of sound between silences of at least `minSilenceSeconds`, [start, end] in seconds. */
export async function soundBursts(file: string, minSilenceSeconds: number): Promise<[number, number][]> {
  const total = await mediaSeconds(file);
  const bursts: [number, number][] = [];
  let soundFrom = 0;
  for (const [start, end] of await silentStretches(file, minSilenceSeconds)) {
    if (start > soundFrom + 0.01) bursts.push([soundFrom, start]);
    soundFrom = end;
  }
  if (soundFrom < total - 0.01) bursts.push([soundFrom, total]);
  return bursts;
}

export async function mediaSeconds(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'default=nw=1:nk=1',
    file,
  ]);
  return Number(stdout.trim());
}

/** Writes bytes (an upload) to a temporary file for ffmpeg to read, and removes it afterwards. */
export async function withTempFile<T>(
  bytes: Buffer,
  name: string,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-upload-'));
  try {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}
