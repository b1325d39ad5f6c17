/** @module Test helper: a thread surface that keeps what it was asked to show, like a chat thread would. */
import { randomUUID } from 'node:crypto';
import type {
  OutgoingFile,
  OutgoingMessage,
  PostOptions,
  ThreadSurface,
} from '../../src/deliveries/thread-surface.ts';
import type { ThreadRef } from '../../src/queue/types.ts';

export interface ShownMessage extends OutgoingMessage {
  id: string;
  threadId: string;
  edits: number;
  file?: OutgoingFile;
}

/** One in-memory chat: messages in posting order, edited in place, deletable. */
export class RecordingSurface implements ThreadSurface {
  readonly messages: ShownMessage[] = [];
  /** The next upload is refused as too large, as a platform does with its own limit. */
  refuseNextUploadAs?: Error;

  constructor(
    readonly uploadCarriesActions: boolean,
    readonly maxTextChars = 40_000,
  ) {}

  escapeText(text: string): string {
    return text;
  }

  strong(text: string): string {
    return `**${text}**`;
  }

  async post(thread: ThreadRef, message: OutgoingMessage, _options: PostOptions): Promise<string> {
    const shown = { ...message, id: randomUUID(), threadId: thread.threadId, edits: 0 };
    this.messages.push(shown);
    return shown.id;
  }

  async update(_thread: ThreadRef, messageId: string, message: OutgoingMessage): Promise<boolean> {
    const shown = this.messages.find((m) => m.id === messageId);
    if (!shown) return false;
    shown.text = message.text;
    shown.actions = message.actions;
    shown.edits++;
    return true;
  }

  async upload(thread: ThreadRef, file: OutgoingFile, message: OutgoingMessage): Promise<string> {
    const refusal = this.refuseNextUploadAs;
    this.refuseNextUploadAs = undefined;
    if (refusal) throw refusal;
    const id = randomUUID();
    this.messages.push({ ...message, id, threadId: thread.threadId, edits: 0, file });
    return `https://chat.example/${thread.threadId}/${id}`;
  }

  delete(messageId: string): void {
    this.messages.splice(
      this.messages.findIndex((m) => m.id === messageId),
      1,
    );
  }
}
