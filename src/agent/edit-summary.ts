/** @module The caption posted with a new version: one short call to the agent model describing the result. */
import type { RenderResult } from '../browser/types.ts';
import { SUMMARY_SYSTEM_PROMPT } from './agent-prompts.ts';
import type { LlmCallOptions, LlmClient, LlmUsage } from './llm-client.ts';

export interface EditSummaryInput {
  llm: LlmClient;
  /** What the user asked for (and, on a resumed run, what they answered). */
  request: string;
  /** `composition.toString()` of what was rendered. */
  outline: string;
  render: Pick<RenderResult, 'durationSeconds' | 'width' | 'height' | 'hasAudio'>;
}

/** Longest caption asked for: two short sentences. */
const SUMMARY_MAX_TOKENS = 120;

/** @returns the caption, empty when the model gave none; LLM errors as {@link LlmClient.chat} */
export async function summariseEdit(
  input: EditSummaryInput,
  options: LlmCallOptions = {},
): Promise<{ text: string; usage: LlmUsage }> {
  const { render } = input;
  const result = await input.llm.chat(
    {
      messages: [
        { role: 'system', content: SUMMARY_SYSTEM_PROMPT },
        {
          role: 'user',
          content: [
            `Request: ${input.request}`,
            `Result: ${Math.round(render.durationSeconds * 10) / 10} s, ${render.width}x${render.height}, ${render.hasAudio ? 'with sound' : 'silent'}.`,
            'Composition:',
            input.outline.trim(),
          ].join('\n'),
        },
      ],
      temperature: 0.3,
      maxTokens: SUMMARY_MAX_TOKENS,
    },
    options,
  );
  const text = typeof result.message.content === 'string' ? result.message.content : '';
  return {
    text: text
      .trim()
      .replace(/^["“]|["”]$/g, '')
      .trim(),
    usage: result.usage,
  };
}
