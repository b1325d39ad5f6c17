/** @module visual_feedback: sends sampled frames and the user's goal to the vision model and parses its verdict. */
import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import type { SampledFrame } from '../browser/types.ts';
import { VISION_SYSTEM_PROMPT } from './agent-prompts.ts';
import type { LlmCallOptions, LlmClient, LlmUsage } from './llm-client.ts';
import { parseVerdict, type Verdict } from './verdict.ts';

export interface VisualCheckInput {
  llm: LlmClient;
  frames: SampledFrame[];
  /** The user's request, plus the agent's more specific goal when it gave one. */
  goal: string;
  /** Composition size and duration, so the model can judge framing and length. */
  width: number;
  height: number;
  duration: number;
}

export interface VisualCheckResult {
  verdict: Verdict;
  usage: LlmUsage;
}

/** @throws CutroomError llm_bad_response when the answer holds no verdict; LLM errors as {@link LlmClient.chat} */
export async function checkFrames(
  input: VisualCheckInput,
  options: LlmCallOptions = {},
): Promise<VisualCheckResult> {
  const content: ChatCompletionContentPart[] = [
    {
      type: 'text',
      text: `Goal: ${input.goal}\nVideo: ${input.width}x${input.height}, ${Math.round(input.duration * 100) / 100} s, ${input.frames.length} sampled frames follow.`,
    },
  ];
  for (const frame of input.frames) {
    content.push({ type: 'text', text: `t=${Math.round(frame.time * 100) / 100}s` });
    content.push({
      type: 'image_url',
      image_url: { url: `data:image/jpeg;base64,${frame.jpeg.toString('base64')}`, detail: 'low' },
    });
  }
  const result = await input.llm.chat(
    {
      model: input.llm.visionModel,
      messages: [
        { role: 'system', content: VISION_SYSTEM_PROMPT },
        { role: 'user', content },
      ],
      temperature: 0,
    },
    options,
  );
  const text = typeof result.message.content === 'string' ? result.message.content : '';
  return { verdict: parseVerdict(text), usage: result.usage };
}
