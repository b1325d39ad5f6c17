/**
 * @module Phone-like footage made with real ffmpeg at test time (HEVC 8/10-bit, HDR, rotated MOV, variable frame
 * rate, MPEG-4 in AVI, odd sizes, odd audio codecs) and the broken files people upload (cut short, encrypted,
 * oversized, misnamed), plus a reader of the colours in the four quadrants of a frame.
 *
 * Every clip shows four flat colours, one per quadrant, so orientation can be checked at known places: the
 * expected colours come from ffmpeg's own decode, which turns the picture by its display matrix as players do.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const run = promisify(execFile);

export type Rgb = [number, number, number];

/** Quadrant colours (top-left, top-right, bottom-left, bottom-right) per second; the clip cycles through them. */
export const PALETTES: Rgb[][] = [
  [
    [210, 40, 40],
    [40, 200, 40],
    [40, 40, 210],
    [210, 210, 40],
  ],
  [
    [210, 40, 210],
    [40, 200, 200],
    [230, 230, 230],
    [120, 60, 20],
  ],
];
const ALL_COLOURS: Rgb[] = [...PALETTES.flat(), [0, 0, 0]];

export interface QuadClipOptions {
  /** Stored picture size (before any rotation). @defaultValue 240x320 */
  width?: number;
  height?: number;
  /** One entry per second: that second's frame rate. @defaultValue [30, 30] */
  framesPerSecond?: number[];
  /** ffmpeg output options: codec, pixel format, container flags. */
  encode: string[];
  audio?: boolean;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 16 << 20 });
}

const hex = ([r, g, b]: Rgb) => `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

export class PhoneFootage {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** What a clip should look like: itself, or for the HDR clip the SDR clip it was made from. */
  reference(file: string): string {
    return path.basename(file) === HDR_NAME ? this.file(SDR_NAME) : file;
  }

  /** A clip whose quadrants show PALETTES[k % 2] during second k. */
  async quadClip(name: string, options: QuadClipOptions): Promise<string> {
    const { width = 240, height = 320, framesPerSecond = [30, 30], audio = false } = options;
    const inputs: string[] = [];
    const graph: string[] = [];
    const w = width / 2;
    const h = height / 2;
    for (const [k, fps] of framesPerSecond.entries()) {
      const palette = PALETTES[k % PALETTES.length];
      for (const colour of palette) {
        inputs.push('-f', 'lavfi', '-i', `color=c=${hex(colour)}:s=${w}x${h}:r=${fps}:d=1`);
      }
      const i = k * 4;
      graph.push(
        `[${i}][${i + 1}]hstack[t${k}];[${i + 2}][${i + 3}]hstack[b${k}];[t${k}][b${k}]vstack[s${k}]`,
      );
    }
    const seconds = framesPerSecond.length;
    graph.push(`${framesPerSecond.map((_, k) => `[s${k}]`).join('')}concat=n=${seconds}:v=1:a=0[v]`);
    const sound = audio
      ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`]
      : [];
    const soundMap = audio ? ['-map', `${seconds * 4}:a`, '-c:a', 'aac', '-shortest'] : [];
    const out = this.file(name);
    await ffmpeg([
      ...inputs,
      ...sound,
      '-filter_complex',
      graph.join(';'),
      '-map',
      '[v]',
      ...soundMap,
      ...options.encode,
      out,
    ]);
    return out;
  }

  /** The same clip with a display matrix (90°: what a phone held upright records), in a MOV. */
  async rotated(name: string, source: string, degrees = 90): Promise<string> {
    const out = this.file(name);
    await ffmpeg(['-i', source, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, out]);
    return out;
  }

  /**
   * HDR (BT.2020, 10-bit HEVC; PQ as HDR10, or HLG as iPhones record) made from an SDR clip: the same colours, as
   * an HDR phone would store them.
   */
  async hdr(
    name: string,
    sdrSource: string,
    transfer: 'smpte2084' | 'arib-std-b67' = 'smpte2084',
  ): Promise<string> {
    const out = this.file(name);
    await ffmpeg([
      '-i',
      sdrSource,
      '-vf',
      'setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,zscale=t=linear:npl=100,' +
        `format=gbrpf32le,zscale=p=bt2020,zscale=t=${transfer}:m=bt2020nc:r=tv:npl=100,format=yuv420p10le`,
      ...['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1'],
      ...['-x265-params', `log-level=error:colorprim=bt2020:transfer=${transfer}:colormatrix=bt2020nc`],
      ...['-color_primaries', 'bt2020', '-color_trc', transfer, '-colorspace', 'bt2020nc'],
      out,
    ]);
    return out;
  }

  /** A busy test pattern with sound, index first (+faststart): enough media data for a cut to land inside it. */
  async busyClip(name: string, seconds: number): Promise<string> {
    const out = this.file(name);
    await ffmpeg([
      ...['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=30:duration=${seconds}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
      ...[
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-c:a',
        'aac',
        '-shortest',
        '-movflags',
        '+faststart',
        out,
      ],
    ]);
    return out;
  }

  /** `source` encoded again with `encode` (ffmpeg output options). */
  async reencode(name: string, source: string, encode: string[]): Promise<string> {
    const out = this.file(name);
    await ffmpeg(['-i', source, ...encode, out]);
    return out;
  }

  /** The first `fraction` of a file's bytes: an upload cut short. */
  async cut(name: string, source: string, fraction: number): Promise<string> {
    const bytes = await readFile(source);
    const out = this.file(name);
    await writeFile(out, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    return out;
  }

  /** The clip with Common Encryption (cenc-aes-ctr), as a DRM'd download is stored. */
  async encrypted(name: string, source: string): Promise<string> {
    const out = this.file(name);
    const key = randomBytes(16).toString('hex');
    await ffmpeg([
      ...['-i', source, '-c', 'copy', '-encryption_scheme', 'cenc-aes-ctr'],
      ...['-encryption_key', key, '-encryption_kid', randomBytes(16).toString('hex'), out],
    ]);
    return out;
  }

  async image(name: string, width: number, height: number): Promise<string> {
    const out = this.file(name);
    await ffmpeg(['-f', 'lavfi', '-i', `color=c=0x3070c0:s=${width}x${height}:d=1`, '-frames:v', '1', out]);
    return out;
  }

  /** Sound only, in the given codec and container (e.g. `wmav2` in `.wma`). */
  async sound(name: string, seconds: number, encode: string[]): Promise<string> {
    const out = this.file(name);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=330:sample_rate=8000:duration=${seconds}`,
      ...encode,
      out,
    ]);
    return out;
  }

  /**
   * AMR-NB in its storage format: Debian's ffmpeg decodes AMR but has no encoder, so the frames are written here
   * (12.2 kbit/s mode, any payload bits decode, as noise).
   */
  async amr(name: string, seconds: number): Promise<string> {
    const frames = Array.from({ length: Math.round(seconds * 50) }, () =>
      Buffer.concat([Buffer.from([0x3c]), randomBytes(31)]),
    );
    const out = this.file(name);
    await writeFile(out, Buffer.concat([Buffer.from('#!AMR\n'), ...frames]));
    return out;
  }

  /** A ZIP whose one entry needs a password (general purpose flag bit 0). */
  async passwordZip(name: string): Promise<string> {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(1, 6);
    header.writeUInt16LE(8, 26);
    const out = this.file(name);
    await writeFile(out, Buffer.concat([header, Buffer.from('clip.mov'), randomBytes(512)]));
    return out;
  }
}

const HDR_NAME = 'IMG_0004.MP4';
const SDR_NAME = 'sdr-source.mp4';
const X265 = ['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1', '-x265-params', 'log-level=error'];
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** Clips the page cannot take as they are; each displays 240x320 (portrait) with the quadrant palettes. */
export interface PhoneClips {
  /** iPhone-style HEVC 8-bit with AAC sound, 2 s. */
  hevc: string;
  /** HEVC 10-bit, 2 s. */
  hevc10: string;
  /** H.264 stored 320x240 with a 90° display matrix, in a MOV, with sound, 2 s. */
  portrait: string;
  /** H.264 at 30, 5 and 30 frames per second in turn, 3 s. */
  vfr: string;
  /** MPEG-4 Part 2 in AVI, 2 s. */
  avi: string;
  /** HDR10 (PQ) HEVC 10-bit, 2 s. */
  hdr: string;
}

/** Uploads that must be refused before anything is queued. */
export interface BrokenUploads {
  /** A moov-first MP4 cut at 35 % of its bytes. */
  cut: string;
  drm: string;
  /** 10000x10000 pixels. */
  huge: string;
  /** A PNG named holiday.mp4. */
  misnamed: string;
  empty: string;
  zip: string;
}

export async function makePhoneClips(footage: PhoneFootage): Promise<PhoneClips> {
  const sdr = await footage.quadClip(SDR_NAME, { encode: X264 });
  const landscape = await footage.quadClip('landscape.mp4', {
    width: 320,
    height: 240,
    encode: X264,
    audio: true,
  });
  return {
    hevc: await footage.quadClip('IMG_0001.MP4', { encode: [...X265, '-pix_fmt', 'yuv420p'], audio: true }),
    hevc10: await footage.quadClip('IMG_0002.MP4', { encode: [...X265, '-pix_fmt', 'yuv420p10le'] }),
    portrait: await footage.rotated('IMG_0003.MOV', landscape),
    vfr: await footage.quadClip('screen-vfr.mp4', {
      framesPerSecond: [30, 5, 30],
      encode: [...X264, '-fps_mode', 'vfr'],
    }),
    avi: await footage.quadClip('old-camera.avi', {
      framesPerSecond: [25, 25],
      encode: ['-c:v', 'mpeg4', '-q:v', '2'],
    }),
    hdr: await footage.hdr(HDR_NAME, sdr),
  };
}

export async function makeBrokenUploads(footage: PhoneFootage): Promise<BrokenUploads> {
  const busy = await footage.busyClip('busy.mp4', 4);
  const png = await footage.image('photo.png', 320, 240);
  const misnamed = footage.file('holiday.mp4');
  await writeFile(misnamed, await readFile(png));
  const empty = footage.file('empty.mov');
  await writeFile(empty, '');
  return {
    cut: await footage.cut('cut-short.mp4', busy, 0.35),
    drm: await footage.encrypted('rented-movie.mp4', busy),
    huge: await footage.image('huge.png', 10_000, 10_000),
    misnamed,
    empty,
    zip: await footage.passwordZip('clips.zip'),
  };
}

/** Mean colour of four boxes, one in the lower part of each quadrant (clear of core's watermark in the corner). */
export async function quadrantColours(file: string, atSeconds: number): Promise<Rgb[]> {
  const { stdout: sizeOut } = await run('ffprobe', [
    ...[
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height:stream_side_data=rotation',
    ],
    ...['-of', 'json', file],
  ]);
  const stream = (
    JSON.parse(sizeOut) as {
      streams: { width: number; height: number; side_data_list?: { rotation?: number }[] }[];
    }
  ).streams[0];
  const turned = Math.abs(stream.side_data_list?.[0]?.rotation ?? 0) % 180 === 90;
  const width = turned ? stream.height : stream.width;
  const height = turned ? stream.width : stream.height;
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-ss',
      String(atSeconds),
      '-i',
      file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  const px = stdout as unknown as Buffer;
  const box = (x0: number, x1: number, y0: number, y1: number): Rgb => {
    const sum = [0, 0, 0];
    let n = 0;
    for (let y = Math.floor(y0 * height); y < Math.floor(y1 * height); y++) {
      for (let x = Math.floor(x0 * width); x < Math.floor(x1 * width); x++) {
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) sum[c] += px[i + c];
        n++;
      }
    }
    return sum.map((v) => Math.round(v / n)) as Rgb;
  };
  return [
    box(0.1, 0.4, 0.36, 0.46),
    box(0.6, 0.9, 0.36, 0.46),
    box(0.1, 0.4, 0.84, 0.96),
    box(0.6, 0.9, 0.84, 0.96),
  ];
}

/** Which of the palette colours (or black) each measured colour is. */
export function nameColours(colours: Rgb[]): string[] {
  return colours.map((rgb) => {
    let best = ALL_COLOURS[0];
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const c of ALL_COLOURS) {
      const d = (c[0] - rgb[0]) ** 2 + (c[1] - rgb[1]) ** 2 + (c[2] - rgb[2]) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return hex(best);
  });
}

/** (max − min) / max of a colour: 0.85 for the palette's red; a washed-out (untone-mapped) HDR red reads about 0.5. */
export function saturation([r, g, b]: Rgb): number {
  const max = Math.max(r, g, b);
  return max === 0 ? 0 : (max - Math.min(r, g, b)) / max;
}

export async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Every clip one after another, at its own size, in a portrait frame: what each shows stays where it was. */
export const SEQUENCE_SCRIPT = `composition = new core.Composition({ width: 240, height: 320 });
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
for (const a of assets.filter((a) => a.kind === 'video')) {
  console.log('asset', a.name, a.duration.toFixed(2), a.width + 'x' + a.height);
  await layer.add(new core.VideoClip(a.source, { range: [0, a.duration] }));
}`;

/**
 * Checks a render of SEQUENCE_SCRIPT over `sources` (its code-action log in `log`): each clip's duration as the
 * page saw it, the whole length, and each clip's quadrant colours in the render, second by second, against
 * ffmpeg's own upright decode of the original.
 */
export async function expectFaithfulSequence(
  footage: PhoneFootage,
  render: string,
  sources: string[],
  log: string,
): Promise<void> {
  let offset = 0;
  for (const source of sources) {
    const name = path.basename(source);
    const duration = await durationOf(source);
    const seen = new RegExp(`asset ${name.replace(/[.()]/g, '\\$&')} (\\d+\\.\\d+) 240x320`).exec(log);
    expect(seen, `${name} in the log`).not.toBeNull();
    expect(Number(seen?.[1])).toBeCloseTo(duration, 1);
    for (let t = 0.5; t < duration - 0.2; t += 1) {
      const expected = nameColours(await quadrantColours(footage.reference(source), t));
      expect(nameColours(await quadrantColours(render, offset + t)), `${name} at ${t} s`).toEqual(expected);
    }
    offset += Number(seen?.[1]);
  }
  expect(await durationOf(render)).toBeCloseTo(offset, 1);
}
