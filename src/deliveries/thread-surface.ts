/** @module What a chat platform supplies to deliveries: post, update and upload in a thread, nothing more. */
import type { ThreadRef } from '../queue/types.ts';

/** A button under a message; each platform encodes it in its own way (Block Kit, components). */
export type MessageAction = { kind: 'cancel'; requestId: string } | { kind: 'undo'; version: number };

export interface OutgoingMessage {
  /** In the platform's markup (see `ThreadSurface.strong`). */
  text: string;
  actions?: MessageAction[];
}

/** A file to upload: one in the artifact store (`path`), or a small one made for the post (`data`). */
export type OutgoingFile = {
  name: string;
  mimeType: string;
  size: number;
} & ({ path: string } | { data: Buffer });

export interface PostOptions {
  /** The same for every retry of one post; platforms that deduplicate posts (Discord's nonce) use it. */
  idempotencyKey: string;
}

/**
 * One chat platform's thread, as the shared deliverer (`createThreadDeliverer`) sees it. Throw a
 * `RetryAfterError` when the platform says "slow down", a non-retryable CutroomError when retrying
 * cannot help (`upload_too_large` when it refuses a file as too big).
 */
export interface ThreadSurface {
  /** Bold in the platform's markup. */
  strong(text: string): string;
  /** Whether an upload can carry buttons; without, they come in a message of their own after it. */
  readonly uploadCarriesActions: boolean;
  /** Most characters one message's text (or an upload's caption) may have; longer texts are cut (src/deliveries/fit-text.ts). */
  readonly maxTextChars: number;
  /** Makes text someone else wrote (the model, a user) inert in the platform's markup: no mention in it pings anyone. */
  escapeText(text: string): string;
  /** Posts a message into the thread. @returns its id. */
  post(thread: ThreadRef, message: OutgoingMessage, options: PostOptions): Promise<string>;
  /** Replaces a message's text and buttons. @returns false when the message no longer exists. */
  update(thread: ThreadRef, messageId: string, message: OutgoingMessage): Promise<boolean>;
  /** Uploads a file into the thread with `message` as its caption. @returns a link to it, when the platform gives one. */
  upload(
    thread: ThreadRef,
    file: OutgoingFile,
    message: OutgoingMessage,
    options: PostOptions,
  ): Promise<string | undefined>;
}
