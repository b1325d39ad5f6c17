/** @module Every Redis key and queue name cutroom uses, built in one place from the key prefix. */
import { artifactScopeOf } from './artifact-store.ts';
import { type Platform, type ThreadRef, threadKey } from './types.ts';

/** Prefix of every key cutroom writes; tests pass a unique one. */
export const DEFAULT_PREFIX = 'cutroom';

/** One job per user request. */
export const EDITS_QUEUE = 'edits';

/**
 * One queue per platform, so each bot process consumes only the deliveries it can post.
 * (BullMQ cannot filter one queue by job data, and forbids `:` in queue names.)
 */
export function deliveriesQueueName(platform: Platform): string {
  return `deliveries-${platform}`;
}

/**
 * BullMQ rejects job ids that contain `:` (platform keys such as `slack:Ev01` do) or are integers.
 * This escaping is injective, so distinct keys never share a job id.
 */
export function jobIdFor(key: string): string {
  const escaped = key.replaceAll('%', '%25').replaceAll(':', '%3A');
  return /^\d+$/.test(escaped) ? `%N${escaped}` : escaped;
}

/** The keys of one thread that live and expire together (see `RedisThreadStore`). */
export interface ThreadKeys {
  /** List of version JSON, oldest first. */
  versions: string;
  /** Last version number handed out; never decremented, so numbers are not reused after an undo. */
  counter: string;
  /** Hash: request id → the version it appended (a retried job appends once). */
  byRequest: string;
  /** Hash: request id → what its undo answered (a retried undo undoes once). */
  undone: string;
  /** List of the thread's clips (StoredAsset JSON) in upload order. */
  clips: string;
  /** Set while the bot takes part in the thread. */
  owner: string;
  /** The id of the thread's latest request (what `cancel` stops). */
  latestRequest: string;
  /** Largest upload the platform accepts in this thread, in bytes. */
  uploadLimit: string;
  /** Set while the thread's artifacts must be kept (the artifact sweeper reads it). */
  artifactsLive: string;
  /** The agent's question waiting for the thread's next message (PendingQuestion JSON). */
  question: string;
  /** List of version numbers the thread has shown as current, the current one last (undo pops it). */
  trail: string;
  /** Stack of version numbers undone, the next to redo last; a new version or a go-back empties it. */
  redo: string;
  /** The user who started the thread (may undo, redo and cancel like the requester of a run). */
  starter: string;
  /** Hash: request id → the user who sent it (who may cancel that run). */
  requesters: string;
  /** Hash: version number → a link to the message its render was posted in (what `versions` lists). */
  links: string;
}

/**
 * Builds every key, so two modules can never disagree on a name and a reader finds them all here.
 * BullMQ's own keys (`<prefix>:<queue>:…`) are left to BullMQ; cutroom's keys never start with a
 * queue's name, so they cannot collide with a job.
 */
export class RedisKeys {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {}

  /** The keys of `thread`'s state. */
  thread(thread: ThreadRef): ThreadKeys {
    const base = `${this.prefix}:thread:${threadKey(thread)}`;
    return {
      versions: `${base}:versions`,
      counter: `${base}:counter`,
      byRequest: `${base}:by-request`,
      undone: `${base}:undone`,
      clips: `${base}:clips`,
      owner: `${base}:owned`,
      latestRequest: `${base}:latest-request`,
      uploadLimit: `${base}:upload-limit`,
      artifactsLive: this.artifactsLive(artifactScopeOf(thread)),
      question: `${base}:question`,
      trail: `${base}:trail`,
      redo: `${base}:redo`,
      starter: `${base}:starter`,
      requesters: `${base}:requesters`,
      links: `${base}:links`,
    };
  }

  /**
   * Set when the bot claims a thread and kept far longer than the thread's state, so a reply after the state
   * expired is told so instead of being ignored.
   */
  threadTombstone(thread: ThreadRef): string {
    return `${this.prefix}:thread-gone:${threadKey(thread)}`;
  }

  /** Set while the artifacts under `threads/<artifactScope>` belong to a live thread. */
  artifactsLive(artifactScope: string): string {
    return `${this.prefix}:artifacts-live:${artifactScope}`;
  }

  /** One request runs per thread at a time; the holder is the job id. */
  threadLock(thread: ThreadRef): string {
    return `${this.prefix}:thread-lock:${threadKey(thread)}`;
  }

  /** The upload limit last reported anywhere in a workspace (Discord guild), for threads that never reported one. */
  workspaceUploadLimit(platform: Platform, workspaceId: string): string {
    return `${this.prefix}:workspace:${platform}:${workspaceId}:upload-limit`;
  }

  /** A platform event id already handled (platforms retry events). */
  eventSeen(eventId: string): string {
    return `${this.prefix}:seen:${eventId}`;
  }

  /** Pub/sub channel on which workers hear about cancellations of running jobs. */
  cancelChannel(): string {
    return `${this.prefix}:cancel-requests`;
  }

  /** Set when a request was cancelled; stops a retry or a recovered run from starting. */
  cancelFlag(requestId: string): string {
    return `${this.prefix}:cancelled:${requestId}`;
  }

  /** Hash holding one request's status: the latest reported, what was shown, and the message showing it. */
  status(requestId: string): string {
    return `${this.prefix}:status:${requestId}`;
  }

  /** Set while a status delivery of the request waits in the queue, so reports in between add no job. */
  statusPending(requestId: string): string {
    return `${this.prefix}:status-pending:${requestId}`;
  }

  /** Marks one posting step of one delivery as done, across retries and restarts. */
  delivered(step: string): string {
    return `${this.prefix}:delivered:${step}`;
  }

  /** Sliding window of one user's requests in one workspace. */
  rateUser(thread: ThreadRef, userId: string): string {
    return `${this.prefix}:rate:user:${thread.platform}:${thread.workspaceId ?? '-'}:${userId}`;
  }

  /** Sliding window of one channel's requests. */
  rateChannel(thread: ThreadRef): string {
    return `${this.prefix}:rate:channel:${thread.platform}:${thread.workspaceId ?? '-'}:${thread.channelId}`;
  }
}
