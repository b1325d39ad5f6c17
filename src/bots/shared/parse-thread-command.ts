/**
 * @module Reads what a message in a thread asks for: one of the thread commands that need no model (`help`,
 * `status`, `versions`, `undo`, `redo`, `go back to version N`, `show code`, `cancel`), or a prompt for the agent.
 */

export type ThreadCommand =
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'versions' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'goto'; version: number }
  | { kind: 'show_code'; version?: number }
  | { kind: 'cancel' }
  | { kind: 'edit'; prompt: string };

/** The command words, the same on every platform (Discord's `/edit action:` offers them as choices). */
export const THREAD_COMMAND_WORDS = [
  'help',
  'status',
  'versions',
  'undo',
  'redo',
  'show code',
  'cancel',
] as const;

// Slack `<@U123>` / `<@U123|name>`, Discord `<@123>` / `<@!123>`: mentions say who, not what to do.
const MENTION = /<@!?[A-Za-z0-9]+(?:\|[^>]*)?>/g;
const END = '[.!?]*$';
const VERSION = String.raw`(?:version |v ?)(\d{1,6})`;
const RULES: [RegExp, (match: RegExpExecArray) => ThreadCommand][] = [
  [new RegExp(`^(?:help|commands|what can you do)${END}`, 'i'), () => ({ kind: 'help' })],
  [new RegExp(`^(?:status|what(?:'|’)?s running)${END}`, 'i'), () => ({ kind: 'status' })],
  [new RegExp(`^(?:versions|list (?:the )?versions|history)${END}`, 'i'), () => ({ kind: 'versions' })],
  [
    new RegExp(
      `^(?:(?:go )?back to|return to|revert to|restore|use|switch to) ${VERSION}(?: please)?${END}`,
      'i',
    ),
    (m) => ({ kind: 'goto', version: Number(m[1]) }),
  ],
  [
    new RegExp(`^show (?:me )?(?:the )?(?:code|script)(?: (?:of |for )?${VERSION})?${END}`, 'i'),
    (m) => ({ kind: 'show_code', ...(m[1] ? { version: Number(m[1]) } : {}) }),
  ],
  [
    new RegExp(`^(?:undo|revert|go back|back)(?: (?:that|it|please|one version))?${END}`, 'i'),
    () => ({ kind: 'undo' }),
  ],
  [new RegExp(`^redo(?: (?:that|it|please))?${END}`, 'i'), () => ({ kind: 'redo' })],
  [
    new RegExp(`^(?:cancel|stop|abort)(?: (?:that|it|please|the (?:job|edit|render)))?${END}`, 'i'),
    () => ({ kind: 'cancel' }),
  ],
];

/** Removes user mentions and squeezes whitespace, so what remains is the instruction itself. */
export function stripMentions(text: string): string {
  return text.replace(MENTION, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Classifies a thread message. Only a message that is nothing but the command counts, so a prompt like
 * "undo the zoom and make it brighter" stays an edit (the agent decides what it asks for).
 * @example parseThreadCommand('<@U1> use v2') // { kind: 'goto', version: 2 }
 */
export function parseThreadCommand(text: string): ThreadCommand {
  const prompt = stripMentions(text);
  for (const [pattern, command] of RULES) {
    const match = pattern.exec(prompt);
    if (match) return command(match);
  }
  return { kind: 'edit', prompt };
}
