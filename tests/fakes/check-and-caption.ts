/**
 * @module What every scripted model answers besides the agent's turns: it approves each visual check (a vision model's
 * or a text-only one's) and writes the caption the summary call asks for.
 */
import {
  SUMMARY_SYSTEM_PROMPT,
  VISION_SYSTEM_PROMPT,
  VISION_TEXT_SYSTEM_PROMPT,
} from '../../src/agent/agent-prompts.ts';
import {
  type FakeChatAnswer,
  type RecordedChatRequest,
  textReply,
  verdictReply,
} from './openai-fake-server.ts';

/** The answer to a check or a summary request, with `caption` for the summary; undefined for an agent turn. */
export function checkOrCaption(request: RecordedChatRequest, caption: string): FakeChatAnswer | undefined {
  const system = request.messages[0]?.content;
  if (system === VISION_SYSTEM_PROMPT || system === VISION_TEXT_SYSTEM_PROMPT) return verdictReply('approve');
  if (system === SUMMARY_SYSTEM_PROMPT) return textReply(caption);
  return undefined;
}
