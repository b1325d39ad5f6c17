// Phone footage through `cutroom render` as a user runs it: a real process, Chromium, ffmpeg, files on disk.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutroomError } from '../../../src/errors.ts';
import { validateMedia } from '../../../src/media/validate-media.ts';
import {
  type BrokenUploads,
  durationOf,
  exists,
  expectFaithfulSequence,
  makeBrokenUploads,
  makePhoneClips,
  type PhoneClips,
  PhoneFootage,
  quadrantColours,
  SEQUENCE_SCRIPT,
  saturation,
} from '../../helpers/phone-footage.ts';
import { runCutroom } from '../../helpers/run-cli.ts';

let footage: PhoneFootage;
let clips: PhoneClips;
let broken: BrokenUploads;
let script: string;
let dataDir: string;

beforeAll(async () => {
  footage = new PhoneFootage(await mkdtemp(path.join(tmpdir(), 'cutroom-phone-cli-')));
  [clips, broken] = await Promise.all([makePhoneClips(footage), makeBrokenUploads(footage)]);
  script = footage.file('sequence.js');
  await writeFile(script, SEQUENCE_SCRIPT);
  dataDir = footage.file('data');
}, 120_000);

afterAll(async () => {
  if (footage) await rm(footage.dir, { recursive: true, force: true });
});

function cutroom(args: string[]) {
  return runCutroom(args, { cwd: footage.dir, env: { CUTROOM_DATA_DIR: dataDir }, timeoutMs: 240_000 });
}

function renderAll(out: string) {
  return cutroom([
    'render',
    ...Object.values(clips).flatMap((c) => ['--input', c]),
    '--script',
    script,
    '--out',
    out,
  ]);
}

describe('cutroom render with phone footage', { timeout: 300_000 }, () => {
  it('renders HEVC, 10-bit, portrait, variable-rate, AVI and HDR clips upright, at their length, HDR not washed out', async () => {
    const out = footage.file('all.mp4');
    const result = await renderAll(out);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Converting HEVC clip "IMG_0001\.MP4"… 100%/);
    expect(result.stderr).toMatch(/Converting portrait H\.264 clip "IMG_0003\.MOV"/);
    await expectFaithfulSequence(footage, out, Object.values(clips), result.stdout);
    const hdrStart = (await Promise.all(Object.values(clips).slice(0, 5).map(durationOf))).reduce(
      (a, b) => a + b,
    );
    const [red, green, blue] = await quadrantColours(out, hdrStart + 0.5);
    for (const colour of [red, green, blue]) expect(saturation(colour)).toBeGreaterThan(0.7);
  });

  it('converts nothing the second time the same clips are rendered', async () => {
    const result = await renderAll(footage.file('again.mp4'));
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/Converting/);
  });

  describe('refuses broken input with the message a chat thread gets, and writes nothing', () => {
    for (const which of ['cut', 'drm', 'huge', 'misnamed', 'empty', 'zip'] as const) {
      it(which, async () => {
        const input = broken[which];
        const chat = await validateMedia(input, {
          limits: { maxAssetDimensions: { width: 4096, height: 4096 } },
        }).then(
          () => undefined,
          (e: CutroomError) => e.userMessage,
        );
        const out = footage.file(`refused-${which}.mp4`);
        const result = await cutroom(['render', '--input', input, '--script', script, '--out', out]);
        expect(result.code).toBe(1);
        expect(chat).toContain(path.basename(input));
        expect(result.stderr).toContain(`cutroom: ${chat}`);
        expect(await exists(out)).toBe(false);
      });
    }
  });
});
