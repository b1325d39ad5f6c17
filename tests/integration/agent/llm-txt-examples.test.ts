// Every JavaScript example in llm.txt runs as a code action in real Chromium and renders to an MP4, so the docs the
// agent reads cannot drift from what the engine does. assets[0] is a spoken clip with cuts that inspect_media has
// measured (its transcript from the OpenAI fake), so the recipes that read shots, silences and words run on real
// data.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DOCS_PATH, splitDocSections } from '../../../src/agent/docs-search.ts';
import { inspectedFields, MediaInspector } from '../../../src/agent/inspect-media.ts';
import type { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import type { EditSession, LoadableAsset } from '../../../src/browser/types.ts';
import { SpeechTranscriber } from '../../../src/media/transcribe-speech.ts';
import { OpenAiFakeServer } from '../../fakes/openai-fake-server.ts';
import { spokenClip } from '../../helpers/analysis-fixtures.ts';
import { burstRecognizer } from '../../helpers/burst-recognizer.ts';
import type { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { createAgentMedia, createPool, probeVideo, tempDir } from './agent-test-kit.ts';

const examples = splitDocSections(readFileSync(DEFAULT_DOCS_PATH, 'utf8')).flatMap((section) =>
  [...section.text.matchAll(/```js\n([\s\S]*?)```/g)].map((match, index) => ({
    name: `${section.title}${index > 0 ? ` (example ${index + 1})` : ''}`,
    code: match[1],
  })),
);

describe('llm.txt examples', { timeout: 120_000 }, () => {
  let pool: BrowserPool;
  let media: MediaFixtures;
  let assets: LoadableAsset[];
  let session: EditSession | undefined;
  let out: { dir: string; remove: () => Promise<void> };

  beforeAll(async () => {
    pool = createPool();
    const made = await createAgentMedia();
    media = made.media;
    const portrait = await localAsset(
      await media.clip('portrait.mp4', { seconds: 3, width: 360, height: 640, gop: 30 }),
    );
    const speech = await spokenClip(media.dir, 'talk.mp4', {
      sentences: ['Welcome to the cutting room.', 'Today we edit video.'],
      cuts: [1.5, 3.2],
    });
    const talk = await localAsset(speech.path);
    const fake = await OpenAiFakeServer.start();
    try {
      fake.setTranscriber(burstRecognizer({ words: speech.words.map((w) => w.text) }));
      const inspector = new MediaInspector({
        transcriber: new SpeechTranscriber({ model: 'whisper-1', baseURL: fake.baseURL, maxRetries: 0 }),
      });
      const inspection = await inspector.inspect(talk);
      assets = [
        { ...talk, inspected: inspectedFields(inspection) },
        made.clip,
        portrait,
        made.music,
        made.logo,
      ];
    } finally {
      await fake.close();
    }
    out = await tempDir('cutroom-llm-txt-');
  });

  afterEach(async () => {
    await session?.release();
    session = undefined;
  });

  afterAll(async () => {
    await pool?.close();
    await media?.close();
    await out?.remove();
  });

  it('has an example in most sections', () => {
    expect(examples.length).toBeGreaterThanOrEqual(20);
  });

  it.each(examples.map((e, i) => [e.name, e.code, i] as const))(
    '%s runs and renders',
    async (_name, code, index) => {
      session = await pool.acquire();
      await session.loadAssets(assets);

      const result = await session.runCode(code);

      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.duration).toBeGreaterThan(0);
      const rendered = await session.render({ outPath: path.join(out.dir, `example-${index}.mp4`), fps: 15 });
      const probed = await probeVideo(rendered.path);
      expect(probed.duration).toBeCloseTo(result.duration, 0);
      const [, width, height] = /Dimensions: (\d+)x(\d+)/.exec(result.outline) ?? [];
      expect([probed.width, probed.height]).toEqual([Number(width), Number(height)]);
    },
  );
});
