/** @module Reads what a message in a thread asks for: undo, cancel, or a new edit prompt. */

export type ThreadCommand = { kind: 'undo' } | { kind: 'cancel' } | { kind: 'edit'; prompt: string };

// Slack `<@U123>` / `<@U123|name>`, Discord `<@123>` / `<@!123>`: mentions say who, not what to do.
const MENTION = /<@!?[A-Za-z0-9]+(?:\|[^>]*)?>/g;
const UNDO = /^(?:undo|revert|go back|back)(?: (?:that|it|please|one version))?[.!]*$/i;
const CANCEL = /^(?:cancel|stop|abort)(?: (?:that|it|please|the (?:job|edit|render)))?[.!]*$/i;

/** Removes user mentions and squeezes whitespace, so what remains is the instruction itself. */
export function stripMentions(text: string): string {
  return text.replace(MENTION, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Classifies a thread message. Only a message that is nothing but the command word counts, so a
 * prompt like "undo the zoom and make it brighter" stays an edit.
 * @example parseThreadCommand('<@U1> undo') // { kind: 'undo' }
 */
export function parseThreadCommand(text: string): ThreadCommand {
  const prompt = stripMentions(text);
  if (UNDO.test(prompt)) return { kind: 'undo' };
  if (CANCEL.test(prompt)) return { kind: 'cancel' };
  return { kind: 'edit', prompt };
}
