/**
 * @module Speech to text through any OpenAI-compatible `/v1/audio/transcriptions` endpoint (OpenAI's whisper-1,
 * faster-whisper servers, whisper.cpp's server, LocalAI …): words with start and end times in source seconds.
 *
 * The sound is extracted with ffmpeg as small mono FLAC files (16 kHz, what Whisper models listen at; lossless, so
 * recognition loses nothing, about half the size of WAV), split under the endpoint's upload limit at pauses so no
 * word is cut, and each part's word times are moved back onto the source's clock.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI, { toFile } from 'openai';
import { z } from 'zod';
import { CancelledError, CutroomError, ErrorCode } from '../errors.ts';
import { detectSilences } from './detect-silences.ts';
import { mapLimited } from './map-limited.ts';
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { readAudioLevels } from './read-audio-levels.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface SpeechTranscriberOptions {
  model: string;
  /** The endpoint including `/v1`. @defaultValue OpenAI's */
  baseURL?: string;
  apiKey?: string;
  /** Largest file the endpoint accepts. @defaultValue 25 MiB (OpenAI's limit) */
  maxUploadBytes?: number;
  /** Per request; transcribing long audio on a local CPU server is slow. @defaultValue 600000 */
  timeoutMs?: number;
  /** Retries on 408/409/429/5xx/timeouts/connection errors, with the client's backoff. @defaultValue 2 */
  maxRetries?: number;
  /** Parts sent at once. @defaultValue 2 */
  concurrency?: number;
}

export interface TranscriptWord {
  text: string;
  /** Source seconds. */
  start: number;
  end: number;
}

export interface Transcript {
  model: string;
  /** The language the endpoint reported, if any. */
  language?: string;
  text: string;
  words: TranscriptWord[];
  /** `segments`: the endpoint gave no word times, so each word's time is its share of its segment's. */
  wordTimes: 'words' | 'segments';
}

export interface TranscribeInput {
  path: string;
  /** Seconds. */
  duration: number;
}

/** A stretch of the source sent as one file: words are kept when their middle falls in [from, to). */
export interface TranscriptionChunk {
  from: number;
  to: number;
  /** What is extracted: [from, to] widened where the split had no pause to land in. */
  extractFrom: number;
  extractTo: number;
}

// FLAC never exceeds plain 16-bit PCM by more than its frame headers.
const BYTES_PER_SECOND = 16_000 * 2 * 1.02;
const FLAC_HEADER_BYTES = 8192;
/** Pauses between words are this long or longer. */
const SPLIT_PAUSE_SECONDS = 0.15;
/** Where no pause is found, parts overlap by this much on each side (at most a quarter of a part). */
const OVERLAP_SECONDS = 1;
// Local servers (whisper.cpp, faster-whisper) accept any key, but the openai client refuses to start without one.
const NO_KEY_PLACEHOLDER = 'not-needed';

const WordSchema = z.object({ word: z.string(), start: z.coerce.number(), end: z.coerce.number() });
const SegmentSchema = z.object({
  start: z.coerce.number(),
  end: z.coerce.number(),
  text: z.string().default(''),
  words: z.array(WordSchema).nullish(),
});
const VerboseTranscriptionSchema = z.object({
  text: z.string().default(''),
  language: z.string().nullish(),
  words: z.array(WordSchema).nullish(),
  segments: z.array(SegmentSchema).nullish(),
});
type VerboseTranscription = z.infer<typeof VerboseTranscriptionSchema>;

export class SpeechTranscriber {
  readonly model: string;
  private readonly maxUploadBytes: number;
  private readonly client: OpenAI;
  /** The endpoint's base URL, for messages and to tell transcripts of different servers apart. */
  readonly endpoint: string;
  private readonly concurrency: number;

  constructor(options: SpeechTranscriberOptions) {
    this.model = options.model;
    this.maxUploadBytes = options.maxUploadBytes ?? 25 * 1024 * 1024;
    this.endpoint = options.baseURL ?? 'https://api.openai.com/v1';
    this.concurrency = options.concurrency ?? 2;
    this.client = new OpenAI({
      apiKey: options.apiKey ?? NO_KEY_PLACEHOLDER,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeoutMs ?? 600_000,
    });
  }

  /** Longest part that fits one upload, in seconds. */
  get maxChunkSeconds(): number {
    return Math.max(1, (this.maxUploadBytes * 0.95 - FLAC_HEADER_BYTES) / BYTES_PER_SECOND);
  }

  /**
   * @throws CutroomError transcription_failed (with the endpoint's reason) when the endpoint refuses or fails;
   * cancelled when the signal aborts; ffmpeg_failed when the sound cannot be extracted
   */
  async transcribe(input: TranscribeInput, options: FfmpegWaitOptions = {}): Promise<Transcript> {
    try {
      return await this.transcribeParts(input, options);
    } catch (error) {
      // ffmpeg stops with the signal's own reason; callers tell a cancel from a failure by the code.
      if (options.signal?.aborted && !(error instanceof CancelledError))
        throw new CancelledError('transcribe: cancelled', { cause: error });
      throw error;
    }
  }

  private async transcribeParts(input: TranscribeInput, options: FfmpegWaitOptions): Promise<Transcript> {
    const chunks = await this.plan(input, options);
    const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-speech-'));
    try {
      const parts = await mapLimited(chunks, this.concurrency, async (chunk, index) => {
        const file = path.join(dir, `part-${index}.flac`);
        await extractSpeech(input.path, chunk, file, options);
        return { chunk, response: await this.send(file, options) };
      });
      const words = parts.flatMap(({ chunk, response }) => wordsOf(response, chunk));
      const segmentTimes = parts.some(
        ({ response }) => !hasWordTimes(response) && (response.segments ?? []).some((s) => s.text.trim()),
      );
      return {
        model: this.model,
        language: parts.find((p) => p.response.language)?.response.language ?? undefined,
        text: parts
          .map((p) => p.response.text.trim())
          .filter(Boolean)
          .join(' '),
        words,
        wordTimes: segmentTimes ? 'segments' : 'words',
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async plan(input: TranscribeInput, options: FfmpegWaitOptions): Promise<TranscriptionChunk[]> {
    if (input.duration <= this.maxChunkSeconds)
      return planTranscriptionChunks(input.duration, this.maxChunkSeconds, []);
    const levels = await readAudioLevels(input.path, options);
    const pauses = detectSilences(levels, { minSeconds: SPLIT_PAUSE_SECONDS }).intervals;
    return planTranscriptionChunks(input.duration, this.maxChunkSeconds, pauses);
  }

  private async send(file: string, options: FfmpegWaitOptions): Promise<VerboseTranscription> {
    try {
      const response = await this.client.audio.transcriptions.create(
        {
          file: await toFile(await readFile(file), path.basename(file), { type: 'audio/flac' }),
          model: this.model,
          response_format: 'verbose_json',
          timestamp_granularities: ['word', 'segment'],
        },
        { signal: options.signal },
      );
      const parsed = VerboseTranscriptionSchema.safeParse(response);
      if (!parsed.success) {
        throw new CutroomError(
          ErrorCode.TranscriptionFailed,
          `transcribe: ${this.endpoint} answered without verbose_json text and times (${parsed.error.issues[0]?.message})`,
          { userMessage: 'The speech-to-text service gave an answer I cannot read.' },
        );
      }
      return parsed.data;
    } catch (error) {
      throw this.mapError(error);
    }
  }

  private mapError(error: unknown): CutroomError {
    if (error instanceof CutroomError) return error;
    if (
      error instanceof OpenAI.APIUserAbortError ||
      (error instanceof Error && error.name === 'AbortError')
    ) {
      return new CancelledError(`transcribe: request to ${this.endpoint} aborted`, { cause: error });
    }
    const where = `${this.endpoint}/audio/transcriptions`;
    let reason: string;
    let retryable = false;
    if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
      reason = `rejected the credentials (HTTP ${error.status}); check CUTROOM_TRANSCRIBE_API_KEY`;
    } else if (error instanceof OpenAI.NotFoundError) {
      reason = `has no model "${this.model}" or no such route (HTTP 404: ${error.message}); check CUTROOM_TRANSCRIBE_MODEL and CUTROOM_TRANSCRIBE_BASE_URL`;
    } else if (error instanceof OpenAI.APIConnectionError) {
      reason = `could not be reached (${error.message})`;
      retryable = true;
    } else if (error instanceof OpenAI.APIError) {
      reason = `answered HTTP ${error.status}: ${error.message}`;
      retryable = error.status === 429 || (error.status ?? 0) >= 500;
    } else {
      reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    return new CutroomError(ErrorCode.TranscriptionFailed, `transcribe: ${where} ${reason}`, {
      userMessage: 'The speech-to-text service could not transcribe the sound.',
      retryable,
      cause: error,
    });
  }
}

/**
 * Splits [0, duration] into parts of at most `maxSeconds` (extracted length included), each ending in the middle of
 * the longest pause in its last half; without a pause there, parts overlap so a word cut at the edge is heard whole
 * by one of them.
 */
export function planTranscriptionChunks(
  duration: number,
  maxSeconds: number,
  pauses: [number, number][],
): TranscriptionChunk[] {
  const overlap = Math.min(OVERLAP_SECONDS, maxSeconds / 4);
  const chunks: TranscriptionChunk[] = [];
  let from = 0;
  let extractFrom = 0;
  while (from < duration) {
    const limit = extractFrom + maxSeconds;
    if (limit >= duration) {
      chunks.push({ from, to: duration, extractFrom, extractTo: duration });
      break;
    }
    const inLastHalf = pauses.filter(
      ([s, e]) => (s + e) / 2 > from + (limit - from) / 2 && (s + e) / 2 < limit,
    );
    const pause = inLastHalf.reduce<[number, number] | undefined>(
      (best, p) => (!best || p[1] - p[0] > best[1] - best[0] ? p : best),
      undefined,
    );
    if (pause) {
      const to = (pause[0] + pause[1]) / 2;
      chunks.push({ from, to, extractFrom, extractTo: to });
      from = to;
      extractFrom = to;
    } else {
      const to = limit - overlap;
      chunks.push({ from, to, extractFrom, extractTo: limit });
      from = to;
      extractFrom = to - overlap;
    }
  }
  return chunks;
}

/** The response's words on the source's clock, keeping those whose middle lies in the chunk's own stretch. */
export function wordsOf(response: VerboseTranscription, chunk: TranscriptionChunk): TranscriptWord[] {
  const local = hasWordTimes(response) ? joinWordPieces(allWords(response)) : wordsFromSegments(response);
  const round = (t: number) => Math.round((t + chunk.extractFrom) * 1000) / 1000;
  return local
    .map((w) => ({ text: w.text, start: round(w.start), end: round(Math.max(w.start, w.end)) }))
    .filter((w) => {
      const middle = (w.start + w.end) / 2;
      return w.text !== '' && middle >= chunk.from && middle < chunk.to;
    });
}

function hasWordTimes(response: VerboseTranscription): boolean {
  return allWords(response).length > 0;
}

/** OpenAI and faster-whisper list `words` at the top; whisper.cpp's server lists them in each segment. */
function allWords(response: VerboseTranscription): z.infer<typeof WordSchema>[] {
  if (response.words?.length) return response.words;
  return (response.segments ?? []).flatMap((s) => s.words ?? []);
}

/**
 * whisper.cpp gives tokens (" That", "'s"): a piece without a leading space continues the word before it, when the
 * server marks word starts with spaces at all.
 */
function joinWordPieces(words: z.infer<typeof WordSchema>[]): TranscriptWord[] {
  const spaced = words.some((w, i) => i > 0 && /^\s/.test(w.word));
  const joined: TranscriptWord[] = [];
  for (const w of words) {
    const last = joined.at(-1);
    if (spaced && last && !/^\s/.test(w.word) && w.word.trim() !== '') {
      last.text += w.word.trim();
      last.end = w.end;
    } else if (w.word.trim() !== '') {
      joined.push({ text: w.word.trim(), start: w.start, end: w.end });
    }
  }
  return joined;
}

/** Each segment's time shared out over its words by length, for servers with segment times only. */
function wordsFromSegments(response: VerboseTranscription): TranscriptWord[] {
  return (response.segments ?? []).flatMap((segment) => {
    const texts = segment.text.trim().split(/\s+/).filter(Boolean);
    const letters = texts.reduce((sum, t) => sum + t.length, 0) || 1;
    const span = Math.max(0, segment.end - segment.start);
    let at = segment.start;
    return texts.map((text) => {
      const start = at;
      at += (span * text.length) / letters;
      return { text, start, end: at };
    });
  });
}

async function extractSpeech(
  source: string,
  chunk: TranscriptionChunk,
  outPath: string,
  options: FfmpegWaitOptions,
): Promise<void> {
  await runFfmpeg(
    [
      '-ss',
      chunk.extractFrom.toFixed(3),
      '-to',
      chunk.extractTo.toFixed(3),
      '-i',
      source,
      '-map',
      '0:a:0',
      '-vn',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-sample_fmt',
      's16',
      '-c:a',
      'flac',
      '-y',
      outPath,
    ],
    { label: 'extract speech', signal: options.signal, timeoutMs: options.timeoutMs ?? 300_000 },
  );
}
