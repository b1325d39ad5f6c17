/**
 * @module The eval's clips, made with ffmpeg (and espeak-ng for speech) when a task first needs them: small (640x360,
 * a few seconds) and with picture and sound at known places, so checks can measure against the truth.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { localAsset } from '../browser/local-asset.ts';
import type { LoadableAsset } from '../browser/types.ts';
import { runFfmpeg } from '../media/run-ffmpeg.ts';

const run = promisify(execFile);

export type Rgb = [number, number, number];

/** The colour of each second of the `colours` clip. */
export const SECOND_COLOURS: Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
];
export const RED: Rgb = [255, 0, 0];
export const BLUE: Rgb = [0, 0, 255];
export const ORANGE: Rgb = [255, 136, 0];
/** Where the `voice` clip's 1 kHz "voice" sounds, in seconds; silent elsewhere. */
export const VOICE_SPANS: [number, number][] = [
  [0.5, 1.5],
  [2.5, 3.5],
];
/** Where the `pauses` clip's tone sounds; the rest of its 4 s is silent. */
export const TONE_SPANS: [number, number][] = [
  [0, 1],
  [2, 3],
];
export const SPOKEN_TEXT = 'Hello there. This clip has a few words to caption.';

export type FixtureName = 'colours' | 'red' | 'blue' | 'pauses' | 'voice' | 'music' | 'logo' | 'speech';

/**
 * Small, but not so small that core's watermark (drawn at a fixed size in the top-left corner when no licence key is
 * set) covers the middle of the picture: at 640x360 it takes the top-left third.
 */
const SIZE = '640x360';
const VIDEO = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '15', '-r', '30'];
const AUDIO = ['-c:a', 'aac', '-b:a', '96k'];
const hex = ([r, g, b]: Rgb) => `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const gate = (spans: [number, number][]) =>
  `volume='if(${spans.map(([a, b]) => `between(t,${a},${b})`).join('+')},1,0)':eval=frame`;

/** The fixtures of one eval run, each made once in `dir`. */
export class EvalFixtures {
  private readonly made = new Map<FixtureName, Promise<LoadableAsset>>();

  constructor(readonly dir: string) {}

  asset(name: FixtureName): Promise<LoadableAsset> {
    let asset = this.made.get(name);
    if (!asset) {
      asset = this.make(name);
      this.made.set(name, asset);
    }
    return asset;
  }

  private async make(name: FixtureName): Promise<LoadableAsset> {
    const file = path.join(
      this.dir,
      name === 'music' ? 'music.mp3' : name === 'logo' ? 'logo.png' : `${name}.mp4`,
    );
    if (name === 'speech') {
      await run('espeak-ng', ['-w', path.join(this.dir, 'speech.wav'), SPOKEN_TEXT], { timeout: 30_000 });
    }
    await runFfmpeg(['-y', ...this.args(name), file], { label: `eval fixture ${name}`, timeoutMs: 60_000 });
    return localAsset(file);
  }

  private args(name: FixtureName): string[] {
    const tone = (hz: number, seconds: number) => [
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${hz}:sample_rate=48000:duration=${seconds}`,
    ];
    const solid = (colour: Rgb, seconds: number) => [
      '-f',
      'lavfi',
      '-i',
      `color=c=${hex(colour)}:size=${SIZE}:rate=30:duration=${seconds}`,
    ];
    switch (name) {
      case 'colours':
        return [
          ...SECOND_COLOURS.flatMap((c) => solid(c, 1)),
          ...tone(440, 4),
          '-filter_complex',
          `${SECOND_COLOURS.map((_, i) => `[${i}:v]`).join('')}concat=n=${SECOND_COLOURS.length}:v=1:a=0[v]`,
          '-map',
          '[v]',
          '-map',
          `${SECOND_COLOURS.length}:a`,
          ...VIDEO,
          ...AUDIO,
          '-shortest',
        ];
      case 'red':
      case 'blue':
        return [
          ...solid(name === 'red' ? RED : BLUE, 2),
          ...tone(name === 'red' ? 330 : 550, 2),
          ...VIDEO,
          ...AUDIO,
          '-shortest',
        ];
      case 'pauses':
        return [
          ...solid([128, 128, 128], 4),
          ...tone(660, 4),
          '-af',
          gate(TONE_SPANS),
          ...VIDEO,
          ...AUDIO,
          '-shortest',
        ];
      case 'voice':
        return [
          ...solid([96, 96, 96], 4),
          ...tone(1000, 4),
          '-af',
          gate(VOICE_SPANS),
          ...VIDEO,
          ...AUDIO,
          '-shortest',
        ];
      case 'music':
        return [...tone(220, 4), '-c:a', 'libmp3lame'];
      case 'logo':
        return ['-f', 'lavfi', '-i', `color=c=${hex(ORANGE)}:size=160x90`, '-frames:v', '1'];
      case 'speech':
        return this.speechArgs();
    }
  }

  /** A plain picture over the sentence espeak-ng spoke into speech.wav. */
  private speechArgs(): string[] {
    const wav = path.join(this.dir, 'speech.wav');
    return [
      '-f',
      'lavfi',
      '-i',
      `color=c=0x406080:size=${SIZE}:rate=30`,
      '-i',
      wav,
      ...VIDEO,
      ...AUDIO,
      '-shortest',
    ];
  }
}
