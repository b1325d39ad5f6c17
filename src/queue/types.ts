/** @module The shapes bots, workers and the agent share: threads, stored clips, versions and edit requests (bots → workers). */
import { z } from 'zod';

export const PlatformSchema = z.enum(['slack', 'discord', 'cli']);
export type Platform = z.infer<typeof PlatformSchema>;

/** Where a conversation lives. Thread state (versions) is keyed by all three parts. */
export const ThreadRefSchema = z.object({
  platform: PlatformSchema,
  /** Slack team id or Discord guild id, when there is one. */
  workspaceId: z.string().optional(),
  channelId: z.string(),
  /** Slack: the root message `ts`; Discord: the thread channel id. */
  threadId: z.string(),
});
export type ThreadRef = z.infer<typeof ThreadRefSchema>;

export function threadKey(thread: ThreadRef): string {
  return `${thread.platform}:${thread.channelId}:${thread.threadId}`;
}

/** A file in the artifact store, addressed by a key relative to its root. */
export const ArtifactRefSchema = z.object({
  key: z.string(),
  name: z.string(),
  mimeType: z.string(),
  size: z.number().int().nonnegative(),
});
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/** An uploaded clip after validation: stored, probed, ready for the browser. */
export const StoredAssetSchema = ArtifactRefSchema.extend({
  kind: z.enum(['video', 'audio', 'image']),
  duration: z.number().nonnegative(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  hasAudio: z.boolean(),
  /**
   * What the page loads, once the worker has checked the clip (src/media/asset-normaliser.ts): the original itself
   * when the browser takes it as it is, else a converted copy (H.264/AAC MP4, upright, SDR) keyed by the original's
   * content hash. `width`/`height` are the display size either way.
   */
  playable: ArtifactRefSchema.optional(),
});
export type StoredAsset = z.infer<typeof StoredAssetSchema>;

/** What one agent run used: tool calls, LLM calls (agent, vision and summary) and the tokens the endpoint reported. */
export interface AgentUsage {
  steps: number;
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
}

/** One version of a thread's edit: everything needed to replay it and to post it again. */
export interface Version {
  number: number;
  prompt: string;
  assets: StoredAsset[];
  /** Every successful code action, in order: replaying them rebuilds the composition. */
  script: string[];
  verdicts: unknown[];
  render?: ArtifactRef;
  preview?: ArtifactRef;
  summary?: string;
  durationSeconds?: number;
  createdAt: number;
  /** The request that made it: appending twice for one request (a retried job) keeps one version. */
  requestId?: string;
  /** The thread's requests this version fulfils, oldest first, its own `prompt` last (a follow-up is checked against all). */
  requests?: string[];
  /** What the agent run that made it used. */
  usage?: AgentUsage;
  /** `composition.toString()` of the result: a follow-up tells the model what is there without opening a browser. */
  outline?: string;
  /** The version this one was made from (the thread's current version then); the Undo button of this version goes back to it. */
  basedOn?: number;
}

/**
 * A move of the thread's current version, never a change to the versions themselves: `undo` goes back to the
 * version shown before, `redo` forward again to one undone, `goto` to any version by number.
 */
export type VersionMove = { kind: 'undo' } | { kind: 'redo' } | { kind: 'goto'; number: number };

/** Where a move ended: the new current version, or why nothing moved. */
export type MoveResult =
  | { moved: true; version: Version }
  | { moved: false; reason: 'no_versions' | 'nothing_before' | 'nothing_to_redo' | 'no_such_version' };

/**
 * A thread's versions and clips: what the edit processor reads and writes. Redis-backed in production
 * (`RedisThreadStore`, src/queue/thread-store.ts), files for the CLI (`LocalThreadStore`).
 */
export interface ThreadState {
  /** The thread's current version: the one the next edit builds on (the latest made, unless moved since). */
  latest(thread: ThreadRef): Promise<Version | undefined>;
  /** Every version ever made in the thread, oldest first: an undo or a go-back keeps them all. */
  list(thread: ThreadRef): Promise<Version[]>;
  /** Adds a version with the next number (numbers are never reused) and makes it current; nothing is left to redo. */
  append(thread: ThreadRef, version: Omit<Version, 'number'>): Promise<Version>;
  /**
   * Moves the current version. With `requestId`, a repeated move for the same request (a retried job) moves
   * nothing more and answers the same.
   */
  move(thread: ThreadRef, move: VersionMove, options?: { requestId?: string }): Promise<MoveResult>;
  /** Every clip brought into the thread, in upload order (earlier scripts index them by position). */
  clips(thread: ThreadRef): Promise<StoredAsset[]>;
  /** Adds the clips not there yet (same key) after the thread's others; returns all of them. */
  addClips(thread: ThreadRef, clips: StoredAsset[]): Promise<StoredAsset[]>;
  /** Like `addClips`, but a clip already there is replaced in place (by what was learnt of it, e.g. `playable`). */
  replaceClips(thread: ThreadRef, clips: StoredAsset[]): Promise<StoredAsset[]>;
  /** The agent run that asked the user a question and waits for the thread's next message, if any. */
  pendingQuestion(thread: ThreadRef): Promise<PendingQuestion | undefined>;
  /** Keeps the run's question for the next message, or (`undefined`) forgets it once that message was handled. */
  setPendingQuestion(thread: ThreadRef, question: PendingQuestion | undefined): Promise<void>;
}

/** A question the agent asked: `conversation` is the agent's own serialised state (it parses it). */
export interface PendingQuestion {
  requestId: string;
  conversation: unknown;
}

export const EditRequestSchema = z.object({
  /** Idempotency key from the platform event (e.g. `slack:<event_id>`); also the BullMQ job id. */
  id: z.string(),
  thread: ThreadRefSchema,
  user: z.object({ id: z.string(), name: z.string().optional() }),
  /** `edit` runs the agent; `undo`, `redo` and `goto` move the thread's current version and post its render. */
  kind: z.enum(['edit', 'undo', 'redo', 'goto']),
  prompt: z.string(),
  /** Clips attached to this request, in upload order; the thread's earlier clips come from its state. */
  assets: z.array(StoredAssetSchema),
  receivedAt: z.number(),
  /** Largest file the platform accepts back in this thread, in bytes: the worker posts a render that fits. */
  uploadLimitBytes: z.number().int().positive().optional(),
  /** `goto`: the version to go to. `undo` from a version's button: that version (going back to the one it was made from). */
  version: z.number().int().positive().optional(),
});
export type EditRequest = z.infer<typeof EditRequestSchema>;
