/** @module Test media made with real ffmpeg at test time: clips, per-second colour clips, broken files. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Distinct colours, one per second of a colour clip: the frame at t must show COLOURS[floor(t)]. */
export const COLOURS: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [255, 0, 255],
  [0, 255, 255],
  [255, 255, 255],
  [128, 0, 0],
  [0, 128, 0],
  [0, 0, 128],
  [128, 128, 0],
  [0, 128, 128],
];

const hex = ([r, g, b]: [number, number, number]) =>
  `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

export interface ClipOptions {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  audio?: boolean;
  /** Keyframe interval in frames. @defaultValue 60 */
  gop?: number;
}

export class MediaFixtures {
  private constructor(readonly dir: string) {}

  static async create(): Promise<MediaFixtures> {
    return new MediaFixtures(await mkdtemp(path.join(tmpdir(), 'cutroom-media-')));
  }

  /** A test pattern clip (moving content, optional 440 Hz tone). */
  async clip(name: string, options: ClipOptions): Promise<string> {
    const { seconds, width = 1280, height = 720, fps = 30, audio = true, gop = 60 } = options;
    const out = path.join(this.dir, name);
    const args = [
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    ];
    if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(gop));
    if (audio) args.push('-c:a', 'aac', '-b:a', '96k', '-shortest');
    args.push('-movflags', '+faststart', out);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args]);
    return out;
  }

  /** A clip whose whole frame is COLOURS[k] during second k. */
  async colourClip(name: string, options: ClipOptions): Promise<string> {
    const { seconds, width = 1280, height = 720, fps = 30, gop = 150, audio = false } = options;
    const out = path.join(this.dir, name);
    const inputs: string[] = [];
    for (let k = 0; k < seconds; k++) {
      inputs.push(
        '-f',
        'lavfi',
        '-i',
        `color=c=${hex(COLOURS[k % COLOURS.length])}:size=${width}x${height}:rate=${fps}:duration=1`,
      );
    }
    const concat = `${Array.from({ length: seconds }, (_, k) => `[${k}:v]`).join('')}concat=n=${seconds}:v=1:a=0[v]`;
    const args = ['-y', ...inputs];
    if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=48000:duration=${seconds}`);
    args.push('-filter_complex', concat, '-map', '[v]');
    if (audio) args.push('-map', `${seconds}:a`, '-c:a', 'aac');
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(gop), out);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args]);
    return out;
  }

  async textFile(name: string, content = 'this is not a video\n'): Promise<string> {
    const out = path.join(this.dir, name);
    await writeFile(out, content);
    return out;
  }

  async emptyFile(name: string): Promise<string> {
    return this.textFile(name, '');
  }

  /** The first `bytes` bytes of a real clip: a truncated download. */
  async truncated(name: string, source: string, bytes = 4096): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    const out = path.join(this.dir, name);
    await writeFile(out, (await readFile(source)).subarray(0, bytes));
    return out;
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Average RGB of a JPEG or PNG image (decoded by ffmpeg), optionally of a region of it. */
export async function averageColour(
  image: Buffer | string,
  region?: { x: number; y: number; width: number; height: number },
): Promise<[number, number, number]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-px-'));
  try {
    const file = typeof image === 'string' ? image : path.join(dir, 'frame.jpg');
    if (typeof image !== 'string') await writeFile(file, image);
    const { stdout } = await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        file,
        '-vf',
        region ? `crop=${region.width}:${region.height}:${region.x}:${region.y},scale=16:16` : 'scale=16:16',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ],
      { encoding: 'buffer', maxBuffer: 1 << 20 },
    );
    const px = stdout as unknown as Buffer;
    const sum = [0, 0, 0];
    for (let i = 0; i < px.length; i += 3) for (let c = 0; c < 3; c++) sum[c] += px[i + c];
    const n = px.length / 3;
    return [Math.round(sum[0] / n), Math.round(sum[1] / n), Math.round(sum[2] / n)];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The closest palette index to a colour. */
export function nearestColour(rgb: [number, number, number]): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [i, c] of COLOURS.entries()) {
    const d = (c[0] - rgb[0]) ** 2 + (c[1] - rgb[1]) ** 2 + (c[2] - rgb[2]) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}
