/** @module The deliveries that cross Redis from workers (and bots) to the bot that posts them into a thread. */
import { z } from 'zod';
import { ArtifactRefSchema, ThreadRefSchema } from '../queue/types.ts';

export const StageSchema = z.enum([
  'queued',
  'downloading',
  'replaying',
  'converting',
  'editing',
  'searching_docs',
  'checking_frames',
  'rendering',
  'uploading',
  'done',
  'failed',
  'cancelled',
]);
export type Stage = z.infer<typeof StageSchema>;

const DeliveryBase = z.object({
  thread: ThreadRefSchema,
  requestId: z.string(),
});

export const DeliverySchema = z.discriminatedUnion('kind', [
  /** Update the one status message of a request in place (created on first use). */
  DeliveryBase.extend({
    kind: z.literal('status'),
    stage: StageSchema,
    text: z.string(),
    percent: z.number().min(0).max(100).optional(),
    queuePosition: z.number().int().nonnegative().optional(),
  }),
  /** A preview contact sheet after a visual check, with the verdict in one line. */
  DeliveryBase.extend({ kind: z.literal('preview'), file: ArtifactRefSchema, text: z.string() }),
  /** The final render (a copy that fits the thread's upload limit) with its summary. */
  DeliveryBase.extend({
    kind: z.literal('result'),
    file: ArtifactRefSchema,
    text: z.string(),
    version: z.number().int().positive(),
    durationSeconds: z.number().nonnegative(),
    /** Set when the render was re-encoded to fit: says so in one line. */
    note: z.string().optional(),
  }),
  /** A user-facing failure: code plus plain words. */
  DeliveryBase.extend({
    kind: z.literal('error'),
    code: z.string(),
    text: z.string(),
  }),
  /** Any other short reply (undo notices, refusals). */
  DeliveryBase.extend({ kind: z.literal('message'), text: z.string() }),
  /** The agent's answer that ends a request without a new version: a plain reply, or a question the next message answers. */
  DeliveryBase.extend({ kind: z.literal('reply'), text: z.string(), question: z.boolean() }),
]);
export type Delivery = z.infer<typeof DeliverySchema>;

export type StatusDelivery = Extract<Delivery, { kind: 'status' }>;
export type ResultDelivery = Extract<Delivery, { kind: 'result' }>;
export type ErrorDelivery = Extract<Delivery, { kind: 'error' }>;
export type ReplyDelivery = Extract<Delivery, { kind: 'reply' }>;

const TERMINAL: ReadonlySet<Stage> = new Set(['done', 'failed', 'cancelled']);
const BEFORE_RUN: ReadonlySet<Stage> = new Set(['queued', 'downloading']);

/** Whether no further status follows this stage (so the Cancel button goes away). */
export function isTerminalStage(stage: Stage): boolean {
  return TERMINAL.has(stage);
}

/** Whether a worker is at work on the request once it reports this stage. */
export function isRunningStage(stage: Stage): boolean {
  return !BEFORE_RUN.has(stage) && !TERMINAL.has(stage);
}
