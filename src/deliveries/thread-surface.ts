/** @module What a chat platform supplies to deliveries: post, update and upload in a thread, nothing more. */
import type { ThreadRef } from '../queue/types.ts';

/** A button under a message; each platform encodes it in its own way (Block Kit, components). */
export type MessageAction = { kind: 'cancel'; requestId: string } | { kind: 'undo'; version: number };

export interface OutgoingMessage {
  /** In the platform's markup (see `ThreadSurface.strong`). */
  text: string;
  actions?: MessageAction[];
}

/** A file in the artifact store, ready to upload. */
export interface OutgoingFile {
  path: string;
  name: string;
  mimeType: string;
  size: number;
}

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
  /** Posts a message into the thread. @returns its id. */
  post(thread: ThreadRef, message: OutgoingMessage, options: PostOptions): Promise<string>;
  /** Replaces a message's text and buttons. @returns false when the message no longer exists. */
  update(thread: ThreadRef, messageId: string, message: OutgoingMessage): Promise<boolean>;
  /** Uploads a file into the thread with `message` as its caption. */
  upload(
    thread: ThreadRef,
    file: OutgoingFile,
    message: OutgoingMessage,
    options: PostOptions,
  ): Promise<void>;
}
