/** @module The one-line status text shown in the status message for each stage of a request. */
import type { Delivery, Stage } from '../../queue/types.ts';

export type StatusDelivery = Extract<Delivery, { kind: 'status' }>;

const LABELS: Record<Stage, string> = {
  queued: '⏳ Queued',
  downloading: '⬇️ Downloading clips',
  replaying: '🔁 Restoring the previous version',
  converting: '🔄 Converting',
  editing: '✂️ Editing',
  searching_docs: '📖 Reading the docs',
  checking_frames: '👀 Checking frames',
  rendering: '🎬 Rendering',
  uploading: '⬆️ Uploading',
  done: '✅ Done',
  failed: '❌ Failed',
  cancelled: '🛑 Cancelled',
};

const TERMINAL: ReadonlySet<Stage> = new Set(['done', 'failed', 'cancelled']);

/** Whether no further status follows this stage (so the Cancel button goes away). */
export function isTerminalStage(stage: Stage): boolean {
  return TERMINAL.has(stage);
}

/**
 * Formats a status delivery: the stage label, the queue position or percent when known, and the
 * worker's detail (e.g. "step 3") when it adds something.
 * @example formatStatus({ kind: 'status', stage: 'rendering', percent: 42.4, text: '', … }) // '🎬 Rendering 42%'
 */
export function formatStatus(delivery: StatusDelivery): string {
  let line = LABELS[delivery.stage];
  if (delivery.stage === 'queued' && delivery.queuePosition !== undefined) {
    line += delivery.queuePosition <= 1 ? ' (next up)' : ` (position ${delivery.queuePosition})`;
  }
  if (delivery.percent !== undefined) line += ` ${Math.floor(delivery.percent)}%`;
  const detail = delivery.text.trim().replace(/[.!…]+$/, '');
  if (detail && !line.toLowerCase().includes(detail.toLowerCase())) line += ` · ${detail}`;
  return isTerminalStage(delivery.stage) ? line : `${line}…`;
}
