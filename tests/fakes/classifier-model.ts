/**
 * @module A scripted model for conversation tests and the conversation bench: it decides by the message, from a
 * labelled table, whether the user asks for an edit (then it edits: code, check, render), asks about the video,
 * thanks, or says something ambiguous (then it asks back). What is under test is that the loop and the pipeline
 * honour that decision, not the decision. Use it as the OpenAI fake's fallback.
 */
import { checkOrCaption } from './check-and-caption.ts';
import {
  type ChatMessage,
  type FakeChatAnswer,
  type RecordedChatRequest,
  textReply,
  toolCallReply,
} from './openai-fake-server.ts';

export type MessageLabel = 'edit' | 'question' | 'thanks' | 'ambiguous';

export interface LabelledMessage {
  text: string;
  label: MessageLabel;
  /** For an edit: the clip's seconds to keep (the code trims to it). */
  seconds?: number;
}

/** Thread messages as people write them, labelled by what they ask for. */
export const LABELLED_MESSAGES: LabelledMessage[] = [
  { text: 'keep the first two seconds', label: 'edit', seconds: 2 },
  { text: 'thanks!', label: 'thanks' },
  { text: 'how long is it now?', label: 'question' },
  { text: 'looks great', label: 'thanks' },
  { text: 'make it one second long', label: 'edit', seconds: 1 },
  { text: 'thank you so much 🙏', label: 'thanks' },
  { text: 'what did you change?', label: 'question' },
  { text: 'can you make it better', label: 'ambiguous' },
  { text: 'shorter, 1.5 seconds', label: 'edit', seconds: 1.5 },
  { text: 'perfect, cheers', label: 'thanks' },
  { text: 'which clip did you use?', label: 'question' },
  { text: 'hmm not sure', label: 'ambiguous' },
  { text: 'is there sound in it?', label: 'question' },
  { text: 'nice one', label: 'thanks' },
  { text: 'cut it down to half a second', label: 'edit', seconds: 0.5 },
  { text: 'what resolution is the video?', label: 'question' },
  { text: 'ok', label: 'thanks' },
  { text: 'add something cool', label: 'ambiguous' },
  { text: 'lol', label: 'thanks' },
  { text: 'can you explain how the cut works?', label: 'question' },
  { text: 'do the thing from before', label: 'ambiguous' },
  { text: 'great work team', label: 'thanks' },
  { text: 'how many versions are there?', label: 'question' },
  { text: 'trim it to the first second again', label: 'edit', seconds: 1 },
  { text: 'awesome', label: 'thanks' },
  { text: 'why is it so short?', label: 'question' },
  { text: 'maybe change it?', label: 'ambiguous' },
  { text: 'wow 😍', label: 'thanks' },
  { text: 'does it loop?', label: 'question' },
  { text: 'keep two seconds after all', label: 'edit', seconds: 2 },
  { text: 'cool thanks', label: 'thanks' },
  { text: 'what frame rate is it?', label: 'question' },
];

/** What the model answers a message of each label that is not an edit. */
export const ANSWERS: Record<Exclude<MessageLabel, 'edit'>, string> = {
  question: 'It is the trimmed clip from your upload, about as long as you asked.',
  thanks: 'Glad it helps!',
  ambiguous: 'What would you like me to change: the length, a title, or something else?',
};

function textOf(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('\n');
}

/** The trim an edit runs: the first `seconds` of the first video. */
export function trimTo(seconds: number): string {
  return `composition.clear();
const v = assets.find((a) => a.kind === 'video');
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, ${seconds}] }));`;
}

/** Answers every request of a run: edits for edit messages, a plain answer or a question for the rest. */
export function classifierModel(messages: LabelledMessage[] = LABELLED_MESSAGES) {
  return function classify(request: RecordedChatRequest): FakeChatAnswer {
    const other = checkOrCaption(request, 'Trimmed as asked.');
    if (other) return other;
    // The user's latest words: the first message of a run ("Request: …") or the reply to a question.
    const at = request.messages.findLastIndex((m) => m.role === 'user');
    const said = textOf(request.messages[at]);
    const message = [...messages]
      .sort((a, b) => b.text.length - a.text.length)
      .find((m) => said.includes(`Request: ${m.text}\n`) || said.trim() === m.text || said.endsWith(m.text));
    if (!message) return textReply(`classifier: no labelled message in "${said.slice(0, 80)}"`);
    if (message.label !== 'edit') return textReply(ANSWERS[message.label]);
    const steps = request.messages.slice(at + 1).filter((m) => m.role === 'tool').length;
    if (steps === 0) return toolCallReply('run_code', { code: trimTo(message.seconds ?? 1) });
    return steps === 1 ? toolCallReply('visual_feedback', {}) : toolCallReply('render', {});
  };
}
