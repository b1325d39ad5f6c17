/**
 * @module Plays a speech recogniser behind the OpenAI fake's `/v1/audio/transcriptions`: it decodes the uploaded
 * file with ffmpeg and answers each burst of sound as one word, with times relative to the upload, the way a real
 * server hears a part of a longer recording.
 */
import type { FakeTranscription, RecordedTranscriptionRequest } from '../fakes/openai-fake-server.ts';
import { soundBursts, withTempFile } from './analysis-fixtures.ts';

export interface BurstRecognizerOptions {
  /** The words spoken, in order, when each upload holds all of them; otherwise words are named `w1`, `w2` … */
  words?: string[];
  /**
   * `words`: OpenAI's top-level `words`. `segments`: segment times only (LocalAI, vLLM). `nested`: words inside
   * segments, as whisper.cpp's server sends them. @defaultValue 'words'
   */
  shape?: 'words' | 'segments' | 'nested';
}

export function burstRecognizer(options: BurstRecognizerOptions = {}) {
  return async function recognise(request: RecordedTranscriptionRequest): Promise<FakeTranscription> {
    const file = request.file;
    if (!file) throw new Error('burstRecognizer: no file uploaded');
    const bursts = await withTempFile(file.bytes, file.name || 'upload.bin', (p) => soundBursts(p, 0.08));
    const names = options.words?.length === bursts.length ? options.words : bursts.map((_, i) => `w${i + 1}`);
    const words = bursts.map(([start, end], i) => ({ word: names[i], start, end }));
    const text = names.join(' ');
    const segment = { start: bursts[0]?.[0] ?? 0, end: bursts.at(-1)?.[1] ?? 0, text: ` ${text}` };
    switch (options.shape ?? 'words') {
      case 'segments':
        return { text, language: 'english', segments: words.length ? [segment] : [] };
      case 'nested':
        return {
          text,
          segments: words.length
            ? [{ ...segment, words: words.map((w) => ({ ...w, word: ` ${w.word}` })) }]
            : [],
        };
      default:
        return { text, language: 'english', words, segments: words.length ? [segment] : [] };
    }
  };
}
