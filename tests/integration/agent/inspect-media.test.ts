// inspect_media in the agent loop against real Chromium, real ffmpeg and the real openai client talking HTTP to the
// OpenAI-compatible fake, which plays the agent model, the vision model and a speech recogniser (each burst of
// sound in an upload is a word).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectedFields, MediaInspector } from '../../../src/agent/inspect-media.ts';
import { type EditOutcome, type RunEditOptions, runEdit } from '../../../src/agent/run-edit.ts';
import type { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import type { EditSession, LoadableAsset } from '../../../src/browser/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { SpeechTranscriber } from '../../../src/media/transcribe-speech.ts';
import type { Version } from '../../../src/queue/types.ts';
import { OpenAiFakeServer, textReply, toolCallReply, verdictReply } from '../../fakes/openai-fake-server.ts';
import {
  type SpokenClip,
  silentStretches,
  spokenClip,
  withTempFile,
} from '../../helpers/analysis-fixtures.ts';
import { burstRecognizer } from '../../helpers/burst-recognizer.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import {
  AGENT_MODEL,
  API_KEY,
  captionFallback,
  createLlm,
  createPool,
  GENEROUS_LIMITS,
  probeVideo,
  tempDir,
  VISION_MODEL,
} from './agent-test-kit.ts';

const run = promisify(execFile);
const STT_MODEL = 'whisper-1';
const FRAME = 1 / 30;

/** What a model writes for "remove the pauses": everything between assets[0].silences, back to back. */
const REMOVE_PAUSES = `const clip = assets[0];
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
let from = 0;
for (const [start, end] of clip.silences) {
  if (start - from > 0.05) await layer.add(new core.VideoClip(clip.source, { range: [from, start] }));
  from = end;
}
if (clip.duration - from > 0.05) await layer.add(new core.VideoClip(clip.source, { range: [from, clip.duration] }));
console.log('now', composition.duration);`;

const CAPTIONS = `const clip = assets[0];
const words = clip.transcript.map(({ text, start, end }) => ({ text, start, end }));
const blob = new Blob([JSON.stringify([{ text: words.map((w) => w.text).join(' '), words }])], { type: 'application/json' });
const source = await core.Source.from(blob, { mimeType: 'application/json' });
const preset = new core.ClassicCaptionPreset();
preset.applied = true;
const captions = await composition.add(new core.Layer());
await captions.add(new core.CaptionClip(source, {
  preset,
  font: { family: 'DejaVu Sans', size: 22, weight: '700' },
  color: '#ffffff',
  strokes: [{ color: '#000000', width: 6, lineJoin: 'round' }],
  casing: 'upper',
  position: { x: '50%', y: '80%' },
  align: 'center',
  baseline: 'middle',
}));`;

const PLAIN = `composition = new core.Composition({ width: 640, height: 360 });
const main = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await main.add(new core.VideoClip(assets[0].source));`;

describe('inspect_media with real Chromium, ffmpeg and the OpenAI-compatible fake', {
  timeout: 180_000,
}, () => {
  let pool: BrowserPool;
  let media: MediaFixtures;
  let speech: SpokenClip;
  let talk: LoadableAsset;
  let fake: OpenAiFakeServer;
  let sessions: EditSession[];
  let out: { dir: string; remove: () => Promise<void> };

  beforeAll(async () => {
    pool = createPool();
    media = await MediaFixtures.create();
    speech = await spokenClip(media.dir, 'talk.mp4', {
      sentences: ['Welcome to the cutting room.', 'Today we edit video.', 'Then we go home.'],
      pauseSeconds: 0.9,
      cuts: [1.5, 3.2],
    });
    talk = await localAsset(speech.path);
  });

  afterAll(async () => {
    await pool?.close();
    await media?.close();
  });

  beforeEach(async () => {
    fake = await OpenAiFakeServer.start({ apiKey: API_KEY, models: [AGENT_MODEL, VISION_MODEL, STT_MODEL] });
    fake.setTranscriber(burstRecognizer({ words: speech.words.map((w) => w.text) }));
    fake.setFallback(captionFallback());
    sessions = [];
    out = await tempDir('cutroom-inspect-');
  });

  afterEach(async () => {
    for (const s of sessions) await s.release();
    await fake.close();
    await out.remove();
  });

  function inspector(options: { transcribe?: boolean; cacheDir?: string } = {}): MediaInspector {
    const transcriber =
      options.transcribe === false
        ? undefined
        : new SpeechTranscriber({ model: STT_MODEL, apiKey: API_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    return new MediaInspector({ transcriber, cacheDir: options.cacheDir });
  }

  async function edit(prompt: string, overrides: Partial<RunEditOptions> = {}): Promise<EditOutcome> {
    return runEdit({
      request: { prompt },
      assets: [talk],
      openSession: async () => {
        const session = await pool.acquire();
        sessions.push(session);
        return session;
      },
      llm: createLlm(fake),
      limits: GENEROUS_LIMITS,
      outDir: out.dir,
      logger: createSilentLogger(),
      inspector: inspector(),
      ...overrides,
    });
  }

  it('removes the pauses: inspects, cuts from assets[0].silences, and renders the source minus the silences', async () => {
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('inspect_media', { asset: 0 }),
      (req) => {
        const result = req.lastToolResult() ?? '';
        expect(result).toContain('Silences (');
        expect(result).toContain('assets[0].silences');
        expect(result).toContain('Shot changes (2)');
        expect(result).toContain('Transcript (whisper-1');
        expect(result).toContain('Welcome to the cutting room.');
        return toolCallReply('run_code', { code: REMOVE_PAUSES });
      },
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}, { content: 'Removed the pauses.' }),
    );
    fake.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit('remove the pauses');

    expect(outcome.status).toBe('rendered');
    // The truth, measured apart from cutroom's analysis: ffmpeg's silencedetect on the source.
    const silent = await silentStretches(speech.path, 0.3);
    expect(silent.length).toBeGreaterThanOrEqual(2);
    const expected = speech.seconds - silent.reduce((sum, [s, e]) => sum + (e - s), 0);
    const rendered = await probeVideo(outcome.renderPath!);
    expect(Math.abs(rendered.duration - expected)).toBeLessThanOrEqual(2 * FRAME);
  });

  it('answers a question about the picture from a contact sheet of source frames sent to the vision model', async () => {
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('inspect_media', {
        asset: 0,
        question: 'when do the colour bars appear?',
        from: 1,
        to: 5,
      }),
      (req) => {
        expect(req.lastToolResult()).toMatch(
          /^Answer \(from 5 frame\(s\) of the source, 1–5 s\): The bars appear at 2 s\./,
        );
        return textReply('The bars appear at 2 s.');
      },
    );
    fake.enqueueFor(VISION_MODEL, textReply('The bars appear at 2 s.'));

    const outcome = await edit('when do the bars appear?');

    expect(outcome.status).toBe('replied');
    expect(outcome.summary).toBe('The bars appear at 2 s.');
    const vision = fake.chatRequests.find((r) => r.model === VISION_MODEL)!;
    expect(vision.userText()).toContain('when do the colour bars appear?');
    expect(vision.userText()).toContain('5 frame(s) from 1 s to 5 s, every 1 s');
    const [image] = vision.imageUrls();
    expect(vision.imageUrls()).toHaveLength(1);
    expect(image).toMatch(/^data:image\/jpeg;base64,/);
    const sheet = Buffer.from(image.split(',')[1], 'base64');
    const size = await withTempFile(sheet, 'sheet.jpg', async (file) => {
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'stream=width,height',
        '-of',
        'csv=p=0',
        file,
      ]);
      return stdout.trim();
    });
    // Five 384x216 cells in one row, 4 px apart and 4 px from the edges.
    expect(size).toBe(`${4 + 5 * 388},${4 + 220}`);
    expect(outcome.usage.llmCalls).toBe(3);
  });

  it('says transcription is off when no model is configured, and code reading the transcript gets a clear error', async () => {
    const reads = 'console.log(assets[0].transcript.length);';
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('inspect_media', { asset: 0 }),
      (req) => {
        expect(req.lastToolResult()).toContain('Transcript: off');
        return toolCallReply('run_code', { code: reads });
      },
      (req) => {
        expect(req.lastToolResult()).toContain('assets[0].transcript is not available');
        expect(req.lastToolResult()).toContain('transcription is off');
        return textReply('I cannot caption speech: transcription is not set up.');
      },
    );

    const outcome = await edit('caption what she says', { inspector: inspector({ transcribe: false }) });

    expect(outcome.status).toBe('replied');
    expect(fake.transcriptionRequests).toHaveLength(0);
  });

  it('reports a failing speech endpoint in the tool result and goes on to render', async () => {
    fake.failNext({ status: 500, times: Infinity, path: '/v1/audio/transcriptions' });
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('inspect_media', { asset: 0 }),
      (req) => {
        const result = req.lastToolResult() ?? '';
        expect(result).toContain('Transcript: failed');
        expect(result).toContain('HTTP 500');
        expect(result).toContain('Silences (');
        return toolCallReply('run_code', { code: REMOVE_PAUSES });
      },
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}),
    );
    fake.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit('remove the pauses');

    expect(outcome.status).toBe('rendered');
  });

  it('tells code that reads shots before inspect_media ran what to do', async () => {
    fake.enqueueFor(
      AGENT_MODEL,
      toolCallReply('run_code', { code: 'console.log(assets[0].shots);' }),
      (req) => {
        expect(req.lastToolResult()).toContain(
          'assets[0].shots is not available yet: call the inspect_media tool with { "asset": 0 } first',
        );
        return textReply('stopping');
      },
    );
    await edit('cut on the shots');
  });

  it('answers an asset index that does not exist with the list of assets', async () => {
    fake.enqueueFor(AGENT_MODEL, toolCallReply('inspect_media', { asset: 3 }), (req) => {
      expect(req.lastToolResult()).toBe('error: there is no assets[3]; the assets are 0 "talk.mp4"');
      return textReply('stopping');
    });
    await edit('look at the fourth clip');
  });

  it('replays a follow-up whose script reads silences from the cache, and checks it against the earlier request too', async () => {
    const cache = await tempDir('cutroom-inspect-cache-');
    try {
      await inspector({ cacheDir: cache.dir }).inspect(talk);
      const uploads = fake.transcriptionRequests.length;
      const base: Version = {
        number: 1,
        prompt: 'remove the pauses',
        requests: ['remove the pauses'],
        assets: [talk],
        script: [REMOVE_PAUSES],
        verdicts: [],
        render: { key: 'v1.mp4', name: 'v1.mp4', mimeType: 'video/mp4', size: 1 },
        createdAt: 0,
      };
      fake.enqueueFor(
        AGENT_MODEL,
        toolCallReply('run_code', {
          code: `const texts = await composition.add(new core.Layer());
await texts.add(new core.TextClip({ text: 'Cutroom', position: 'center', duration: composition.duration, font: { family: 'DejaVu Sans', size: 48 }, color: '#ffffff' }));`,
        }),
        toolCallReply('visual_feedback', {}),
        toolCallReply('render', {}),
      );
      fake.enqueueFor(VISION_MODEL, verdictReply('approve'));

      const outcome = await edit('add the title Cutroom', {
        base,
        inspector: inspector({ cacheDir: cache.dir }),
      });

      expect(outcome.status).toBe('rendered');
      expect(fake.transcriptionRequests).toHaveLength(uploads);
      expect(outcome.requests).toEqual(['remove the pauses', 'add the title Cutroom']);
      const vision = fake.chatRequests.find((r) => r.model === VISION_MODEL)!;
      expect(vision.userText()).toContain('add the title Cutroom');
      expect(vision.userText()).toContain('Earlier requests in this thread, still in force');
      expect(vision.userText()).toContain('1. remove the pauses');
    } finally {
      await cache.remove();
    }
  });

  it("renders captions from the transcript that show at a word's time and not in a pause", async () => {
    const inspection = await inspector().inspect(talk);
    const asset = { ...talk, inspected: inspectedFields(inspection) };
    const word = speech.words.find((w) => w.text === 'cutting')!;
    const wordTime = (word.start + word.end) / 2;
    const pauseTime = (speech.words[4].end + speech.words[5].start) / 2;

    const plain = await renderScript(asset, [PLAIN], 'plain.mp4');
    const captioned = await renderScript(asset, [PLAIN, CAPTIONS], 'captioned.mp4');

    // The caption band: the bottom third of the frame, where the captions sit at y = 80%.
    const band = { x: 0, y: 240, w: 640, h: 100 };
    const atWord = await frameDifference(plain, captioned, wordTime, band);
    const inPause = await frameDifference(plain, captioned, pauseTime, band);
    expect(atWord).toBeGreaterThan(20);
    expect(inPause).toBeLessThan(3);
  });

  async function renderScript(asset: LoadableAsset, script: string[], name: string): Promise<string> {
    const session = await pool.acquire();
    sessions.push(session);
    await session.loadAssets([asset]);
    for (const code of script) {
      const result = await session.runCode(code);
      expect(result.error).toBeUndefined();
    }
    const rendered = await session.render({ outPath: `${out.dir}/${name}`, fps: 30 });
    return rendered.path;
  }
});

/** Mean absolute difference (0–255) between two videos' frames at `time`, over a region. */
async function frameDifference(
  a: string,
  b: string,
  time: number,
  region: { x: number; y: number; w: number; h: number },
): Promise<number> {
  const [pa, pb] = await Promise.all([a, b].map((file) => regionPixels(file, time, region)));
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i] - pb[i]);
  return sum / pa.length;
}

async function regionPixels(
  file: string,
  time: number,
  { x, y, w, h }: { x: number; y: number; w: number; h: number },
): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      time.toFixed(3),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `crop=${w}:${h}:${x}:${y}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 22 },
  );
  return stdout as unknown as Buffer;
}
