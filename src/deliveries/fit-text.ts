/**
 * @module Fits text into one chat message, the same way on every platform: what others wrote (the model, a user) is
 * escaped so no mention in it can ping anyone, and cut to the platform's limit, the whole kept for a file.
 */

/** What a platform allows in one message; its surface supplies them. */
export interface TextLimits {
  /** Most characters one message's text may have. */
  maxChars: number;
  /** Makes text someone else wrote inert in the platform's markup (mentions, links). */
  escape(text: string): string;
}

export interface FittedText {
  /** The message text: escaped, framed and within the limit. */
  text: string;
  /** The whole text as written, when it had to be cut: post it as a file beside the message. */
  overflow?: string;
}

/** Ends a cut text; the deliverer posts the whole text as a file right after the message. */
export const CUT_NOTE = '… _(cut: the full text is in the file below)_';

// Where a cut may go, best first, if it keeps at least this share of the room.
const BOUNDARIES = ['\n\n', '\n', '. ', ' '];
const MIN_KEPT_SHARE = 0.7;

/**
 * Escapes `written` and puts it into `frame` (cutroom's own markup around it, left as it is). When that is over
 * `limits.maxChars`, `written` is cut at a paragraph, line, sentence or word boundary so the framed text fits,
 * and ends with {@link CUT_NOTE}.
 * @example fitText(summary, { maxChars: 2000, escape: (t) => t }, (s) => `**Version 2**\n${s}`)
 */
export function fitText(
  written: string,
  limits: TextLimits,
  frame: (body: string) => string = (body) => body,
): FittedText {
  const escaped = limits.escape(written);
  const whole = frame(escaped);
  if (whole.length <= limits.maxChars) return { text: whole };
  let room = limits.maxChars - frame('').length - CUT_NOTE.length - 1;
  for (;;) {
    const text = frame(`${cutAt(escaped, Math.max(0, room))}${CUT_NOTE}`);
    if (text.length <= limits.maxChars || room <= 0) {
      return { text: text.slice(0, limits.maxChars), overflow: written };
    }
    room -= text.length - limits.maxChars;
  }
}

/** The head of `text` within `room` characters, cut where a reader would stop, never inside an escape or emoji. */
function cutAt(text: string, room: number): string {
  if (text.length <= room) return text;
  let head = text.slice(0, room);
  const boundary = BOUNDARIES.map((b) => head.lastIndexOf(b)).find((i) => i >= room * MIN_KEPT_SHARE);
  if (boundary !== undefined) head = head.slice(0, boundary);
  else head = head.replace(/[\uD800-\uDBFF]$/, '').replace(/&[#A-Za-z0-9]{0,6}$/, '');
  head = head.trimEnd();
  // An open code block would swallow the note and everything after it.
  if ((head.match(/```/g)?.length ?? 0) % 2 === 1) head += '\n```';
  return head;
}
