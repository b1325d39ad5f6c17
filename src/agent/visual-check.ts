/**
 * @module visual_feedback: sends sampled frames and the user's goal to the vision model and parses its verdict. A model
 * that takes one image gets the labelled contact sheet; one that takes none gets frame measurements and the outline.
 * What a model refused is learnt once per endpoint and model for the process.
 */
import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import type { SampledFrame } from '../browser/types.ts';
import { VISION_SYSTEM_PROMPT, VISION_TEXT_SYSTEM_PROMPT } from './agent-prompts.ts';
import { IMAGE_TOKENS } from './context-window.ts';
import { capabilitiesOf, imageRefusal } from './endpoint-capabilities.ts';
import { describeFrameFacts, frameFacts } from './frame-facts.ts';
import type { LlmCallOptions, LlmClient, LlmUsage } from './llm-client.ts';
import { parseVerdict, type Verdict } from './verdict.ts';

export interface VisualCheckInput {
  llm: LlmClient;
  frames: SampledFrame[];
  /** The same frames on one JPEG, each labelled with its time: sent alone to a model that takes one image. */
  sheet: Buffer;
  /** The user's request, plus the agent's more specific goal when it gave one. */
  goal: string;
  /** Composition size and duration, so the model can judge framing and length. */
  width: number;
  height: number;
  duration: number;
  /** `composition.toString()`: with the frame measurements, what a model that takes no image judges. */
  outline: string;
}

/** How the frames reached the vision model. */
export type VisualCheckMode = 'frames' | 'sheet' | 'text';

export interface VisualCheckResult {
  verdict: Verdict;
  /** Summed over the requests this check made. */
  usage: LlmUsage;
  /** Requests made, refused ones included. */
  calls: number;
  mode: VisualCheckMode;
  /** Set when this check found that the vision model takes fewer images than it was sent: worth saying once. */
  learnt?: string;
}

/** Frames are sent one by one while they take at most this share of the vision model's context. */
const FRAMES_SHARE_OF_CONTEXT = 0.6;

/** @throws CutroomError llm_bad_response when the answer holds no verdict; LLM errors as {@link LlmClient.chat} */
export async function checkFrames(
  input: VisualCheckInput,
  options: LlmCallOptions = {},
): Promise<VisualCheckResult> {
  const { llm } = input;
  const capabilities = capabilitiesOf(llm.endpoint, llm.visionModel);
  let mode = await firstMode(input, options);
  let calls = 0;
  let learnt: string | undefined;
  for (;;) {
    calls += 1;
    try {
      const result = await llm.chat(
        {
          model: llm.visionModel,
          messages: [
            { role: 'system', content: mode === 'text' ? VISION_TEXT_SYSTEM_PROMPT : VISION_SYSTEM_PROMPT },
            { role: 'user', content: userContent(input, mode) },
          ],
          temperature: 0,
        },
        options,
      );
      if (mode === 'frames' && input.frames.length > 1) capabilities.images = 'many';
      const text = typeof result.message.content === 'string' ? result.message.content : '';
      return { verdict: parseVerdict(text), usage: result.usage, calls, mode, learnt };
    } catch (error) {
      const refusal = mode === 'text' ? undefined : imageRefusal(error);
      if (!refusal) throw error;
      const model = llm.visionModel;
      capabilities.imagesReason = refusal.reason;
      if (refusal.maxImages >= 1 && mode === 'frames') {
        capabilities.images = 'one';
        mode = 'sheet';
        learnt = `The vision model ${model} takes ${refusal.maxImages === 1 ? 'one image' : `at most ${refusal.maxImages} images`} per request (it said: ${refusal.reason}); it gets one contact sheet with the times written on it instead.`;
      } else {
        capabilities.images = 'none';
        mode = 'text';
        learnt = `The vision model ${model} does not take images (it said: ${refusal.reason}); frames are checked from measurements (brightness, the colours of a 3x3 grid, fine detail, change between frames) and the composition outline instead. Set CUTROOM_VISION_MODEL to a model that takes images for a real look.`;
      }
    }
  }
}

async function firstMode(input: VisualCheckInput, options: LlmCallOptions): Promise<VisualCheckMode> {
  const { images } = capabilitiesOf(input.llm.endpoint, input.llm.visionModel);
  if (images === 'none') return 'text';
  if (input.frames.length <= 1) return 'frames';
  if (images === 'one') return 'sheet';
  const context = await input.llm.contextWindow(input.llm.visionModel, options);
  const fits =
    context.tokens === null || input.frames.length * IMAGE_TOKENS <= context.tokens * FRAMES_SHARE_OF_CONTEXT;
  return fits ? 'frames' : 'sheet';
}

function userContent(input: VisualCheckInput, mode: VisualCheckMode): ChatCompletionContentPart[] | string {
  const video = `Goal: ${input.goal}\nVideo: ${input.width}x${input.height}, ${round(input.duration)} s`;
  if (mode === 'text') {
    return [
      `${video}.`,
      'Composition outline:',
      input.outline.trim() || '(empty)',
      `Measurements of ${input.frames.length} sampled frames:`,
      describeFrameFacts(frameFacts(input.frames)),
    ].join('\n');
  }
  if (mode === 'sheet') {
    return [
      {
        type: 'text',
        text: `${video}. One contact sheet follows: ${input.frames.length} sampled frames in rows, left to right and top to bottom, each labelled with its time.`,
      },
      { type: 'image_url', image_url: { url: dataUrl(input.sheet), detail: 'high' } },
    ];
  }
  const content: ChatCompletionContentPart[] = [
    { type: 'text', text: `${video}, ${input.frames.length} sampled frames follow.` },
  ];
  for (const frame of input.frames) {
    content.push({ type: 'text', text: `t=${round(frame.time)}s` });
    content.push({ type: 'image_url', image_url: { url: dataUrl(frame.jpeg), detail: 'low' } });
  }
  return content;
}

function dataUrl(jpeg: Buffer): string {
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
