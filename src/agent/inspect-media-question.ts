/**
 * @module inspect_media with a question: frames of the source between two times (at most one a second, at most 30),
 * as one contact sheet labelled with source times, sent to the vision model with the question; the answer names
 * times.
 */
import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import { readVideoPackets } from '../media/read-video-packets.ts';
import { sheetTimes, sourceContactSheet } from '../media/source-contact-sheet.ts';
import type { InspectableAsset } from './inspect-media.ts';
import type { LlmCallOptions, LlmClient, LlmUsage } from './llm-client.ts';

export interface SourceQuestion {
  asset: InspectableAsset;
  /** Which asset this is in the page, for the answer's wording. */
  index: number;
  question: string;
  /** Source seconds. */
  from: number;
  to: number;
}

export interface SourceAnswer {
  answer: string;
  /** The source times of the frames shown. */
  times: number[];
  /** The contact sheet the vision model saw (JPEG). */
  sheet: Buffer;
  usage: LlmUsage;
}

/** Frames are a second or more apart, and no more than this many: one readable sheet. */
const MAX_QUESTION_FRAMES = 30;

const SOURCE_QUESTION_PROMPT = `You look at frames from a video clip for a video editor and answer a question about the footage. The frames come as one contact sheet, left to right and top to bottom, each labelled with its time in seconds in the source clip. Answer briefly and concretely, always with times from the labels ("the goalkeeper dives at 7.4 s", "the speaker is on screen from 3 s to 11 s"). When a moment falls between two frames, give both times ("between 7 s and 8 s") so the editor can look closer. If the frames do not show the answer, say so plainly rather than guess. You cannot hear the sound.`;

/** @throws CutroomError ffmpeg_failed when frames cannot be decoded; LLM errors as {@link LlmClient.chat} */
export async function askAboutSource(
  llm: LlmClient,
  input: SourceQuestion,
  options: LlmCallOptions = {},
): Promise<SourceAnswer> {
  const wait = { signal: options.signal };
  const { packets } = await readVideoPackets(input.asset.path, wait);
  const times = input.asset.kind === 'image' ? [0] : sheetTimes(input.from, input.to, MAX_QUESTION_FRAMES);
  const sheet = await sourceContactSheet(input.asset.path, { ...wait, times, packets });
  const step = times.length > 1 ? Math.round((times[1] - times[0]) * 100) / 100 : 0;
  const content: ChatCompletionContentPart[] = [
    {
      type: 'text',
      text: `Question: ${input.question}\nClip: assets[${input.index}] "${input.asset.name}", ${round(input.asset.duration)} s long. ${times.length} frame(s) from ${times[0]} s to ${times.at(-1)} s${step ? `, every ${step} s` : ''}, labelled with their source times.`,
    },
    {
      type: 'image_url',
      image_url: { url: `data:image/jpeg;base64,${sheet.toString('base64')}`, detail: 'high' },
    },
  ];
  const result = await llm.chat(
    {
      model: llm.visionModel,
      messages: [
        { role: 'system', content: SOURCE_QUESTION_PROMPT },
        { role: 'user', content },
      ],
      temperature: 0,
    },
    options,
  );
  const answer = typeof result.message.content === 'string' ? result.message.content.trim() : '';
  return { answer: answer || '(the vision model gave no answer)', times, sheet, usage: result.usage };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
