/** @module The state of an agent run that asked the user a question: serialisable, so the run resumes on their reply. */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { CutroomError, ErrorCode } from '../errors.ts';

export const AgentConversationSchema = z.object({
  version: z.literal(1),
  /** The chat without the system prompt (which a resumed run writes afresh), as the loop last sent it. */
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant', 'tool']) })).min(1),
  /** Every successful code action so far, the base version's included: replaying them rebuilds the composition. */
  script: z.array(z.string()),
  /** Whether the state the script builds passed a visual check. */
  approved: z.boolean(),
  /** Whether the script differs from the version the run started from. */
  changed: z.boolean(),
  outline: z.string(),
  duration: z.number().nonnegative(),
  /** What the frames are checked against: the request, and the answers so far. */
  goal: z.string(),
  /** The thread's requests in force (the version's `requests` when the run renders). */
  requests: z.array(z.string()),
});

export type AgentConversation = Omit<z.infer<typeof AgentConversationSchema>, 'messages'> & {
  messages: ChatCompletionMessageParam[];
};

/** Reads a stored conversation. @throws CutroomError internal when it is not one */
export function parseAgentConversation(data: unknown): AgentConversation {
  const parsed = AgentConversationSchema.safeParse(data);
  if (!parsed.success) {
    throw new CutroomError(
      ErrorCode.Internal,
      `agent: the stored conversation is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      { userMessage: 'I could not pick up our earlier conversation. Please ask again.' },
    );
  }
  return parsed.data as unknown as AgentConversation;
}
