// `cutroom edit` as a user runs it: the real CLI process, real Chromium and ffmpeg, the OpenAI fake as the model.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadableAsset } from '../../../src/browser/types.ts';
import { OpenAiFakeServer, textReply, toolCallReply, verdictReply } from '../../fakes/openai-fake-server.ts';
import type { MediaFixtures } from '../../helpers/media-fixtures.ts';
import {
  AGENT_MODEL,
  API_KEY,
  captionFallback,
  createAgentMedia,
  probeVideo,
  tempDir,
  VISION_MODEL,
} from '../agent/agent-test-kit.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/cutroom.js');

const TRIM = `const v = assets[0];
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, 2] }));`;
const TITLE = `const t = await composition.add(new core.Layer());
await t.add(new core.TextClip({ text: 'Hi', position: 'center', duration: 2, font: { family: 'DejaVu Sans', size: 40 }, color: '#ffffff' }));`;

describe('cutroom edit', { timeout: 180_000 }, () => {
  let media: MediaFixtures;
  let clip: LoadableAsset;
  let fake: OpenAiFakeServer;
  let work: { dir: string; remove: () => Promise<void> };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ({ media, clip } = await createAgentMedia());
  });
  afterAll(async () => {
    await media?.close();
  });
  beforeEach(async () => {
    fake = await OpenAiFakeServer.start({ apiKey: API_KEY, models: [AGENT_MODEL, VISION_MODEL] });
    fake.setFallback(captionFallback('Kept the first two seconds.'));
    work = await tempDir('cutroom-edit-cli-');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await fake.close();
    await work.remove();
  });

  function cutroom(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'edit', '--state', path.join(work.dir, 'state'), ...args], {
        cwd: work.dir,
        env: {
          PATH: process.env.PATH,
          HOME: work.dir,
          OPENAI_API_KEY: API_KEY,
          OPENAI_BASE_URL: fake.baseURL,
          CUTROOM_MODEL: AGENT_MODEL,
          CUTROOM_VISION_MODEL: VISION_MODEL,
          CUTROOM_DATA_DIR: path.join(work.dir, 'data'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d) => {
        stdout += d;
      });
      child.stderr?.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints each step, writes the MP4 and previews, continues from the last version, and undoes it', async () => {
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('run_code', { code: TRIM }),
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}, { content: 'Rendering now…' }),
    );
    fake.enqueueFor(VISION_MODEL, verdictReply('approve'));
    const out = path.join(work.dir, 'first.mp4');
    const previews = path.join(work.dir, 'previews');

    const first = await cutroom(
      '--input',
      clip.path,
      '--prompt',
      'keep two seconds',
      '--out',
      out,
      '--previews',
      previews,
    );

    expect(first.stderr).not.toMatch(/error|cutroom:/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Step 1: running code');
    expect(first.stdout).toContain('Visual check: approved.');
    expect(first.stdout).toMatch(/Rendering… 100%/);
    expect(first.stdout).toContain('Kept the first two seconds.');
    expect(first.stdout).not.toContain('Rendering now');
    expect(first.stdout).toMatch(/\(3 steps, 5 AI calls, \d+ tokens\)/);
    expect(first.stdout).toContain(`MP4: ${out} (version 1`);
    expect(first.stdout).toContain(`Preview sheets: ${previews}`);
    expect((await probeVideo(out)).duration).toBeCloseTo(2, 0);

    fake.enqueueFor(
      AGENT_MODEL,
      (req) => {
        expect(req.userText()).toContain('version 1');
        return toolCallReply('run_code', { code: TITLE });
      },
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}),
    );
    fake.enqueueFor(VISION_MODEL, verdictReply('approve'));
    const second = await cutroom(
      '--continue',
      '--prompt',
      'add a title',
      '--out',
      path.join(work.dir, 'second.mp4'),
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('continuing version 1');
    expect(second.stdout).toContain('(version 2');

    const undone = await cutroom('--undo', '--out', path.join(work.dir, 'undone.mp4'));
    expect(undone.code).toBe(0);
    expect(undone.stdout).toContain('Back to version 1. Kept the first two seconds.');
    expect(undone.stdout).toContain(`MP4: ${path.join(work.dir, 'undone.mp4')} (version 1`);
    expect((await probeVideo(path.join(work.dir, 'undone.mp4'))).duration).toBeCloseTo(2, 0);
  });

  it('says plainly when --continue has nothing to continue from', async () => {
    const result = await cutroom('--continue', '--prompt', 'more');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--continue: no version');
    expect(fake.requests).toEqual([]);
  });

  it('prints the question the agent asks, and --continue answers it in the same run', async () => {
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('run_code', { code: TRIM }),
      textReply('Trimmed. What should the title say?'),
    );
    const out = path.join(work.dir, 'titled.mp4');

    const asked = await cutroom('--input', clip.path, '--prompt', 'trim it and add a title', '--out', out);

    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Trimmed. What should the title say?');
    expect(asked.stdout).toContain('Answer with: cutroom edit --continue --prompt');
    expect(existsSync(out)).toBe(false);

    fake.enqueueFor(
      AGENT_MODEL,
      (req) => {
        expect(req.messages.at(-1)).toEqual({ role: 'user', content: 'Hi' });
        return toolCallReply('run_code', { code: TITLE });
      },
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}),
    );
    fake.enqueueFor(VISION_MODEL, verdictReply('approve'));
    const answered = await cutroom('--continue', '--prompt', 'Hi', '--out', out);

    expect(answered.stderr).not.toMatch(/cutroom:/);
    expect(answered.code).toBe(0);
    expect(answered.stdout).toContain('(answering the question)');
    expect(answered.stdout).toContain(`MP4: ${out} (version 1`);
    expect((await probeVideo(out)).duration).toBeCloseTo(2, 0);
  });
});
