/** `cutroom render` as a user runs it: a real process, real Chromium and ffmpeg, files on disk. */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cutsAndGapsClip, silentStretches } from '../../helpers/analysis-fixtures.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';
import { runCutroom } from '../../helpers/run-cli.ts';

let fixtures: MediaFixtures;
let clip: string;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  clip = await fixtures.clip('holiday.mp4', { seconds: 4, audio: true });
}, 60_000);

afterAll(async () => {
  await fixtures?.close();
});

function cutroom(args: string[]) {
  return runCutroom(args, { cwd: fixtures.dir });
}

it('renders a script to an MP4 and writes 1 fps previews with a contact sheet', async () => {
  const script = path.join(fixtures.dir, 'edit.js');
  await writeFile(
    script,
    `const layer = await composition.add(new core.Layer());
await layer.add(new core.VideoClip(assets[0].source, { range: [1, 3], start: 0 }));
console.log('clips', composition.clips.length);`,
  );
  const out = path.join(fixtures.dir, 'out', 'cut.mp4');
  const previews = path.join(fixtures.dir, 'previews');
  const result = await cutroom([
    'render',
    '--input',
    clip,
    '--script',
    script,
    '--out',
    out,
    '--previews',
    previews,
  ]);
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('log: clips 1');
  expect(result.stdout).toContain(`wrote ${out}`);
  const probe = await ffprobe(out);
  expect(probe.duration).toBeCloseTo(2, 0);
  const files = await readdir(previews);
  expect(files).toContain('sheet.jpg');
  expect(files.filter((f) => f.startsWith('frame-'))).toHaveLength(2);
}, 180_000);

it('gives a script the silences it reads, as the agent’s replay would', async () => {
  const source = await cutsAndGapsClip(fixtures.dir, 'gaps.mp4', { seconds: 4 });
  const script = path.join(fixtures.dir, 'pauses.js');
  await writeFile(
    script,
    `console.log(JSON.stringify(assets[0].silences));
const layer = await composition.add(new core.Layer());
await layer.add(new core.VideoClip(assets[0].source, { range: [0, 1] }));
`,
  );
  const result = await cutroom([
    'render',
    '--input',
    source.path,
    '--script',
    script,
    '--out',
    path.join(fixtures.dir, 'pauses.mp4'),
  ]);
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.code).toBe(0);
  const logged = JSON.parse(result.stdout.match(/^log: (.*)$/m)?.[1] ?? 'null') as [number, number][];
  const heard = await silentStretches(source.path, 0.3);
  expect(logged).toHaveLength(heard.length);
  for (const [i, [start, end]] of heard.entries()) {
    expect(Math.abs(logged[i][0] - start)).toBeLessThan(0.05);
    expect(Math.abs(logged[i][1] - end)).toBeLessThan(0.05);
  }
}, 180_000);

it('names the script and the line when the code action throws', async () => {
  const script = path.join(fixtures.dir, 'broken.js');
  await writeFile(script, "const a = 1;\nthrow new Error('unknown transition: swirl');\n");
  const result = await cutroom([
    'render',
    '--input',
    clip,
    '--script',
    script,
    '--out',
    path.join(fixtures.dir, 'x.mp4'),
  ]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`${script}:2: Error: unknown transition: swirl`);
}, 180_000);

it('names the file when an input is not a video', async () => {
  const bad = await fixtures.textFile('notes.mp4');
  const script = path.join(fixtures.dir, 'noop.js');
  await writeFile(script, '');
  const result = await cutroom([
    'render',
    '--input',
    bad,
    '--script',
    script,
    '--out',
    path.join(fixtures.dir, 'y.mp4'),
  ]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('notes.mp4');
  expect(result.stderr).toMatch(/not readable media/);
}, 60_000);
