// Speech to text through the real `openai` client, talking multipart HTTP to the OpenAI-compatible fake, with audio
// cut by real ffmpeg from an espeak-ng recording; the fake hears each burst of sound in an upload as one word.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SpeechTranscriber } from '../../../src/media/transcribe-speech.ts';
import { OpenAiFakeServer } from '../../fakes/openai-fake-server.ts';
import { type SpokenClip, spokenClip, withTempFile } from '../../helpers/analysis-fixtures.ts';
import { burstRecognizer } from '../../helpers/burst-recognizer.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';

const KEY = 'sk-test-stt';
const MODEL = 'whisper-1';

describe('SpeechTranscriber against an OpenAI-compatible /v1/audio/transcriptions', () => {
  let dir: string;
  let speech: SpokenClip;
  let fake: OpenAiFakeServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cutroom-stt-'));
    speech = await spokenClip(dir, 'speech.mp4', {
      sentences: ['Welcome to the cutting room.', 'Today we edit video.', 'Cut the pauses please.'],
    });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    fake = await OpenAiFakeServer.start({ apiKey: KEY, models: [MODEL] });
  });

  afterEach(async () => {
    await fake.close();
  });

  const texts = () => speech.words.map((w) => w.text);
  const transcriber = (overrides: Partial<ConstructorParameters<typeof SpeechTranscriber>[0]> = {}) =>
    new SpeechTranscriber({ model: MODEL, apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0, ...overrides });

  it('uploads the sound as a small mono audio file with the model and verbose word timing asked for', async () => {
    fake.setTranscriber(burstRecognizer({ words: texts() }));

    const transcript = await transcriber().transcribe({ path: speech.path, duration: speech.seconds });

    expect(fake.transcriptionRequests).toHaveLength(1);
    const [request] = fake.transcriptionRequests;
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.fields.model).toEqual([MODEL]);
    expect(request.fields.response_format).toEqual(['verbose_json']);
    expect(request.fields['timestamp_granularities[]']).toContain('word');
    expect(request.file?.name).toMatch(/\.flac$/);
    expect(request.file?.type).toBe('audio/flac');
    const probed = await withTempFile(request.file!.bytes, 'upload.flac', (file) => ffprobe(file));
    expect(probed.streams).toHaveLength(1);
    expect(probed.streams[0]).toMatchObject({
      codec_type: 'audio',
      codec_name: 'flac',
      sample_rate: '16000',
    });
    expect(probed.duration).toBeCloseTo(speech.seconds, 1);
    expect(request.file!.bytes.length).toBeLessThan(speech.seconds * 32_000);

    expect(transcript.wordTimes).toBe('words');
    expect(transcript.words.map((w) => w.text)).toEqual(texts());
    for (const [i, word] of transcript.words.entries()) {
      expect(Math.abs(word.start - speech.words[i].start)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(word.end - speech.words[i].end)).toBeLessThanOrEqual(0.05);
    }
  });

  it('splits sound over the upload limit at pauses and puts every word back on the source clock once', async () => {
    fake.setTranscriber(burstRecognizer());
    const small = transcriber({ maxUploadBytes: 80_000 });
    expect(small.maxChunkSeconds).toBeLessThan(speech.seconds / 2);

    const transcript = await small.transcribe({ path: speech.path, duration: speech.seconds });

    expect(fake.transcriptionRequests.length).toBeGreaterThanOrEqual(3);
    for (const request of fake.transcriptionRequests)
      expect(request.file!.bytes.length).toBeLessThanOrEqual(80_000);
    expect(transcript.words).toHaveLength(speech.words.length);
    for (const [i, word] of transcript.words.entries()) {
      expect(Math.abs(word.start - speech.words[i].start)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(word.end - speech.words[i].end)).toBeLessThanOrEqual(0.05);
    }
  });

  it("takes whisper.cpp's word timings nested in segments", async () => {
    fake.setTranscriber(burstRecognizer({ words: texts(), shape: 'nested' }));
    const transcript = await transcriber().transcribe({ path: speech.path, duration: speech.seconds });
    expect(transcript.wordTimes).toBe('words');
    expect(transcript.words.map((w) => w.text)).toEqual(texts());
  });

  it('falls back to segment times when the server gives no word times', async () => {
    fake.setTranscriber(burstRecognizer({ words: texts(), shape: 'segments' }));
    const transcript = await transcriber().transcribe({ path: speech.path, duration: speech.seconds });
    expect(transcript.wordTimes).toBe('segments');
    expect(transcript.words.map((w) => w.text)).toEqual(texts());
    expect(transcript.words[0].start).toBeCloseTo(speech.words[0].start, 1);
    expect(transcript.words.at(-1)!.end).toBeCloseTo(speech.words.at(-1)!.end, 1);
  });

  it('fails with transcription_failed naming the endpoint and the status when the server keeps failing', async () => {
    fake.failNext({ status: 503, times: Infinity, path: '/v1/audio/transcriptions' });
    const error = await transcriber()
      .transcribe({ path: speech.path, duration: speech.seconds })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transcription_failed', retryable: true });
    expect((error as Error).message).toContain(`${fake.baseURL}/audio/transcriptions answered HTTP 503`);
  });

  it('fails with transcription_failed pointing at the key when the key is wrong, without repeating it', async () => {
    const error = await transcriber({ apiKey: 'sk-wrong-key' })
      .transcribe({ path: speech.path, duration: speech.seconds })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transcription_failed', retryable: false });
    expect((error as Error).message).toContain('CUTROOM_TRANSCRIBE_API_KEY');
    expect((error as Error).message).not.toContain('sk-wrong-key');
  });

  it('fails with transcription_failed naming the model when the server does not have it', async () => {
    const error = await transcriber({ model: 'large-v9' })
      .transcribe({ path: speech.path, duration: speech.seconds })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transcription_failed' });
    expect((error as Error).message).toContain('no model "large-v9"');
  });

  it('stops with cancelled when the signal aborts while the endpoint is answering', async () => {
    fake.setTranscriber(async () => ({ text: '', delayMs: 5_000 }));
    const controller = new AbortController();
    const running = transcriber().transcribe(
      { path: speech.path, duration: speech.seconds },
      { signal: controller.signal },
    );
    const abortOnUpload = setInterval(() => {
      if (fake.transcriptionRequests.length > 0) controller.abort();
    }, 20);
    try {
      await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    } finally {
      clearInterval(abortOnUpload);
    }
  });

  it('stops with cancelled when the signal aborts while ffmpeg extracts the sound', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      transcriber().transcribe(
        { path: speech.path, duration: speech.seconds },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(fake.transcriptionRequests).toHaveLength(0);
  });
});
