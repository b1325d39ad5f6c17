/** @module The summary posted with a finished render, and the plain-words reply for a failure. */
import type { ErrorDelivery, ResultDelivery } from './types.ts';

/** "1:05" for 65 s, "12.5 s" under a minute: short enough for one line. */
export function formatDuration(seconds: number): string {
  return seconds < 60 ? `${Number(seconds.toFixed(1))} s` : formatClock(seconds);
}

/** "0:05", "1:05": minutes and whole seconds, the way a list of lengths lines up. */
export function formatClock(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export interface FormatResultOptions {
  /** Bold markup of the platform. @defaultValue Slack's `*text*` (Discord: `**text**`) */
  strong?: (text: string) => string;
}

/**
 * The result caption: version and duration first (what people scan for), then what the agent did,
 * then how to continue.
 */
export function formatResult(delivery: ResultDelivery, options: FormatResultOptions = {}): string {
  const strong = options.strong ?? ((s: string) => `*${s}*`);
  const head = `${strong(`Version ${delivery.version}`)} · ${formatDuration(delivery.durationSeconds)}`;
  const summary = delivery.text.trim();
  const note = delivery.note?.trim();
  const hint =
    delivery.version > 1
      ? 'Reply in this thread to change it, or say `undo` to go back.'
      : 'Reply in this thread to change it.';
  return [head, summary, note, hint].filter(Boolean).join('\n');
}

/** The failure reply: the user message as is, with a fallback for an empty one. */
export function formatError(delivery: ErrorDelivery): string {
  const text = delivery.text.trim() || 'Something went wrong on our side. Please try again.';
  return delivery.code === 'cancelled' ? text : `⚠️ ${text}`;
}
