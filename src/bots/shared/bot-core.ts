/** @module The platform-neutral request flow of a chat bot: who may ask, what they asked, and what gets queued. */

import type { Delivery, StatusDelivery } from '../../deliveries/types.ts';
import { ErrorCode, TimeoutError, toCutroomError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { scriptKey } from '../../queue/artifact-store.ts';
import type { AssetLimits } from '../../queue/asset-limits.ts';
import { type EditRequest, type Platform, type ThreadRef, threadKey } from '../../queue/types.ts';
import { SerialByKey } from '../../serial-by-key.ts';
import type { BotServices } from './bot-services.ts';
import { type IncomingFile, type IngestProgress, ingestAttachments } from './ingest-attachments.ts';
import { parseThreadCommand, type ThreadCommand } from './parse-thread-command.ts';
import { HELP_TEXT, scriptText, statusText, versionsText } from './thread-answers.ts';

/** One message (or button press) addressed to the bot, normalised by a platform adapter. */
export interface IncomingRequest {
  /** Idempotency key from the platform event, e.g. `slack:<event_id>`; also the job id. */
  id: string;
  thread: ThreadRef;
  /** `roles`: the user's Discord roles, matched against the thread admins. */
  user: { id: string; name?: string; roles?: string[] };
  /** The message text; mentions are stripped here. */
  text: string;
  files: IncomingFile[];
  /** The bot was addressed directly (mention, slash command, button): it may start a thread. Plain replies only count in owned threads. */
  addressed: boolean;
  /** Clips posted earlier in the thread, fetched only for a mention without files in a thread the bot does not own yet. */
  earlierFiles?: () => Promise<IncomingFile[]>;
  /** For a Cancel button: the request it belongs to (otherwise the thread's latest request). */
  targetRequestId?: string;
  /** Largest file the platform accepts back in this thread; the worker fits the render to it. */
  uploadLimitBytes?: number;
  /** The platform message this request came in (Slack ts, Discord message id), for the acknowledgement. */
  messageId?: string;
  /** For an Undo button: the version whose button it is (undo goes back to the version it was made from). */
  version?: number;
  /**
   * Tells only the requester (Slack: an ephemeral message; Discord: an ephemeral follow-up of the interaction).
   * Absent: refusals are short replies in the thread.
   */
  replyPrivately?: (text: string) => Promise<void>;
}

export type RequestOutcome =
  | 'duplicate'
  | 'ignored'
  | 'not_allowed'
  | 'rate_limited'
  | 'refused'
  | 'rejected'
  | 'queued'
  | 'cancel_requested'
  | 'nothing_to_cancel'
  | 'answered';

export interface Allowlist {
  /** Slack team ids / Discord guild ids; empty allows all. */
  workspaces: string[];
  /** Channel ids; empty allows all. */
  channels: string[];
}

export interface BotCoreOptions {
  platform: Platform;
  logger: Logger;
  /** The queues and stores the flow uses (thread state holds event dedupe, ownership and the latest request). */
  services: Pick<BotServices, 'edits' | 'deliveries' | 'threads' | 'rateLimiter' | 'artifacts'>;
  limits: AssetLimits;
  allowlist: Allowlist;
  /** Shows at once that the bot took the request (Slack: a reaction). Failures are logged, not fatal. */
  acknowledge?: (request: IncomingRequest) => Promise<void>;
  /** Longest time for downloading and probing a request's files. @defaultValue 600000 */
  ingestTimeoutMs?: number;
  /**
   * User ids (and Discord role ids) who may cancel, undo, redo and go back in any thread, besides the thread's
   * starter and a run's requester (CUTROOM_THREAD_ADMINS). @defaultValue []
   */
  admins?: string[];
}

const DOWNLOAD_PROGRESS_INTERVAL_MS = 1000;

const DEFAULT_EDIT_PROMPT = 'Make a short, polished edit of these clips.';

export const BotMessages = {
  notAllowed: 'cutroom is not enabled in this channel. Ask an admin to add it to the allowlist.',
  noClip:
    'I need a clip to work with. Attach a video (or mention me in a thread that already has one) and tell me what to make.',
  nothingToUndo: 'There is nothing to undo in this thread yet.',
  nothingToCancel: 'Nothing is running in this thread.',
  whatToChange: 'What should I change? Reply with what you want, for example "make it 10 seconds".',
  expired:
    "This thread's clips have expired, upload them again (here, or in a new request) and tell me what to make.",
  help: HELP_TEXT,
  onlyStarter: (action: string) =>
    `Sorry, only the person who started this thread (or a cutroom admin) can ${action} here. Ask them, or start your own request.`,
} as const;

/** A request the bot takes on: what to queue, and the files still to fetch. */
interface Accepted {
  kind: EditRequest['kind'];
  prompt: string;
  files: IncomingFile[];
  version?: number;
}

/** The commands that move the thread's version, with the words a refusal uses. */
const MOVES = { undo: 'undo', redo: 'redo', goto: 'go back to another version' } as const;

/**
 * The flow every adapter runs for a request: dedupe → allowlist → thread ownership (or its expiry) → command
 * (help, status, versions, show code answered at once; cancel; undo, redo, go back for the thread's starter
 * or an admin; else an edit) → an edit's rate limit → reserve the status message → ingest the files → enqueue.
 * Every refusal ends as a short reply in the thread through the deliveries queue, so adapters stay
 * thin and a retried event never posts twice.
 */
export class BotCore {
  private readonly options: BotCoreOptions & { ingestTimeoutMs: number };
  private readonly intake = new SerialByKey();

  constructor(options: BotCoreOptions) {
    this.options = {
      ...options,
      ingestTimeoutMs: options.ingestTimeoutMs ?? 600_000,
    };
  }

  isAllowed(thread: ThreadRef): boolean {
    const { workspaces, channels } = this.options.allowlist;
    if (workspaces.length > 0 && !workspaces.includes(thread.workspaceId ?? '')) return false;
    return channels.length === 0 || channels.includes(thread.channelId);
  }

  /**
   * Handles one request; never throws for user mistakes (those become replies). Requests of one
   * thread are taken in one after another in arrival order, so a reply with a slow download cannot be
   * overtaken by the `undo` sent after it.
   */
  handle(request: IncomingRequest, signal?: AbortSignal): Promise<RequestOutcome> {
    return this.intake.run(threadKey(request.thread), () => this.handleNow(request, signal));
  }

  private async handleNow(request: IncomingRequest, signal?: AbortSignal): Promise<RequestOutcome> {
    const logger = this.options.logger.child({
      platform: this.options.platform,
      thread: threadKey(request.thread),
      requestId: request.id,
    });
    if (!(await this.options.services.threads.firstSighting(request.id))) {
      logger.debug('duplicate event ignored');
      return 'duplicate';
    }
    try {
      const accepted = await this.accept(request, logger);
      if (typeof accepted === 'string') return accepted;
      return await this.queue(request, accepted, logger, signal);
    } catch (error) {
      if (signal?.aborted) {
        // Shutting down: the event was acknowledged, but half-ingested work is dropped, not answered.
        logger.warn('request dropped: bot is closing');
        return 'ignored';
      }
      const failure = toCutroomError(error);
      logger.error({ err: error, code: failure.code }, 'request failed before it was queued');
      await this.reply(request, failure.userMessage, { code: failure.code });
      return 'rejected';
    }
  }

  /**
   * Decides whether to take the request on (and charges an edit's rate limit), or how it ended. Commands that
   * only read (help, status, versions, show code) are answered here from the thread store and the queue.
   */
  private async accept(request: IncomingRequest, logger: Logger): Promise<Accepted | RequestOutcome> {
    const { thread } = request;
    if (!this.isAllowed(thread)) {
      logger.info({ workspace: thread.workspaceId, channel: thread.channelId }, 'not on the allowlist');
      if (request.addressed)
        await this.reply(request, BotMessages.notAllowed, { code: ErrorCode.NotAllowed });
      return 'not_allowed';
    }
    const { threads } = this.options.services;
    const owned = await threads.owns(thread);
    // A thread whose state expired: new clips start it again; anything else is told why nothing is there.
    const expired = !owned && (await threads.expired(thread));
    if (expired && request.files.length === 0) {
      this.acknowledge(request, logger);
      await this.reply(request, BotMessages.expired, { code: ErrorCode.NoAssets });
      return 'refused';
    }
    if (!owned && !request.addressed && !expired) return 'ignored';

    const command = parseThreadCommand(request.text);
    this.acknowledge(request, logger);
    switch (command.kind) {
      case 'help':
        await this.reply(request, BotMessages.help);
        return 'answered';
      case 'status':
      case 'versions':
      case 'show_code':
        await this.answer(request, command);
        return 'answered';
      case 'cancel':
        return this.cancel(request, logger);
      case 'undo':
      case 'redo':
      case 'goto':
        return this.move(request, command, owned);
      case 'edit':
        return this.edit(request, command.prompt, owned, logger);
    }
  }

  private async edit(
    request: IncomingRequest,
    prompt: string,
    owned: boolean,
    logger: Logger,
  ): Promise<Accepted | RequestOutcome> {
    let files = request.files;
    if (files.length === 0 && !owned && request.earlierFiles) files = await request.earlierFiles();
    if (files.length === 0 && !owned) {
      await this.reply(request, BotMessages.noClip, { code: ErrorCode.NoAssets });
      return 'refused';
    }
    if (!prompt && owned && files.length === 0) {
      await this.reply(request, BotMessages.whatToChange);
      return 'refused';
    }
    // Only an edit is charged; the worker gives the charge back when the agent only answered.
    return (
      (await this.charge(request, logger)) ?? { kind: 'edit', prompt: prompt || DEFAULT_EDIT_PROMPT, files }
    );
  }

  /** undo, redo, go back: the thread's starter (or an admin) only, queued for the worker that posts the render. */
  private async move(
    request: IncomingRequest,
    command: Extract<ThreadCommand, { kind: 'undo' | 'redo' | 'goto' }>,
    owned: boolean,
  ): Promise<Accepted | RequestOutcome> {
    if (!owned) {
      await this.reply(request, BotMessages.nothingToUndo, { code: ErrorCode.NothingToUndo });
      return 'refused';
    }
    if (!(await this.mayAct(request))) {
      await this.refusePrivately(request, BotMessages.onlyStarter(MOVES[command.kind]));
      return 'not_allowed';
    }
    const version = command.kind === 'goto' ? command.version : request.version;
    return { kind: command.kind, prompt: '', files: [], ...(version ? { version } : {}) };
  }

  /** status, versions, show code: read from the thread store and the queue, answered at once. */
  private async answer(
    request: IncomingRequest,
    command: Extract<ThreadCommand, { kind: 'status' | 'versions' | 'show_code' }>,
  ): Promise<void> {
    const { threads, edits } = this.options.services;
    const { thread } = request;
    const current = await threads.latest(thread);
    if (command.kind === 'status') {
      await this.reply(request, statusText(await edits.threadRequests(thread), current));
      return;
    }
    if (command.kind === 'versions') {
      const [versions, links] = await Promise.all([threads.list(thread), threads.versionLinks(thread)]);
      await this.reply(request, versionsText(versions, current?.number, links));
      return;
    }
    const version = command.version ? await threads.version(thread, command.version) : current;
    if (!version) {
      await this.reply(
        request,
        command.version ? `This thread has no version ${command.version}.` : 'There is no version yet.',
      );
      return;
    }
    const name = `cutroom-v${version.number}.js`;
    const file = await this.options.services.artifacts.write(
      scriptKey(thread, version.number),
      Buffer.from(scriptText(version)),
      { name, mimeType: 'text/javascript' },
    );
    await this.options.services.deliveries.enqueue({
      kind: 'preview',
      thread,
      requestId: request.id,
      file,
      text: `The code of version ${version.number} (${version.script.length} step${version.script.length === 1 ? '' : 's'}); \`cutroom render --script\` replays it.`,
    });
  }

  /**
   * The thread's starter, the requester of `targetRequestId`, or an admin (by user id or Discord role). A thread
   * from before starters were recorded lets everyone act, as it did then.
   */
  private async mayAct(request: IncomingRequest, targetRequestId?: string): Promise<boolean> {
    const admins = this.options.admins ?? [];
    const { user, thread } = request;
    if (admins.includes(user.id) || (user.roles ?? []).some((role) => admins.includes(role))) return true;
    const { threads } = this.options.services;
    const starter = await threads.starter(thread);
    if (starter === undefined || starter === user.id) return true;
    return targetRequestId !== undefined && (await threads.requester(thread, targetRequestId)) === user.id;
  }

  private async refusePrivately(request: IncomingRequest, text: string): Promise<void> {
    if (request.replyPrivately) await request.replyPrivately(text);
    else await this.reply(request, text, { code: ErrorCode.NotAllowed });
  }

  /** Counts the request against the rate limits; a refusal is answered and returned. */
  private async charge(request: IncomingRequest, logger: Logger): Promise<RequestOutcome | undefined> {
    const { rateLimiter } = this.options.services;
    if (!rateLimiter) return undefined;
    const decision = await rateLimiter.consume({
      thread: request.thread,
      userId: request.user.id,
      requestId: request.id,
    });
    if (decision.allowed) return undefined;
    logger.info({ scope: decision.scope, retryAfterMs: decision.retryAfterMs }, 'rate limited');
    await this.reply(request, decision.message, { code: ErrorCode.RateLimited });
    return 'rate_limited';
  }

  /**
   * Claims the thread, reserves the request's status message, then ingests the files and enqueues
   * the job. The status comes first, so it is the first thing posted, and whatever the worker reports
   * later edits it.
   */
  private async queue(
    request: IncomingRequest,
    accepted: Accepted,
    logger: Logger,
    signal?: AbortSignal,
  ): Promise<RequestOutcome> {
    const { thread } = request;
    // From here on the bot takes part in the thread, so a corrected upload works as a plain reply.
    await this.options.services.threads.claim(thread, request.id, request.user.id);
    await this.status(request, { stage: accepted.files.length > 0 ? 'downloading' : 'queued', text: '' });
    const assets = await this.ingest(request, accepted.files, logger, signal);
    if (!assets) return 'rejected';
    const { enqueued, position } = await this.options.services.edits.enqueue({
      id: request.id,
      thread,
      user: request.user,
      kind: accepted.kind,
      prompt: accepted.prompt,
      assets,
      receivedAt: Date.now(),
      uploadLimitBytes: request.uploadLimitBytes,
      version: accepted.version,
    });
    if (!enqueued) return 'duplicate';
    logger.info({ kind: accepted.kind, assets: assets.length, position }, 'request queued');
    // A fast worker may already be at it: its own status then stays.
    await this.status(
      request,
      { stage: 'queued', text: '', queuePosition: position },
      { onlyBeforeStart: true },
    );
    return 'queued';
  }

  /** Downloads and checks the files; a rejection is answered and gives undefined. */
  private async ingest(
    request: IncomingRequest,
    files: IncomingFile[],
    logger: Logger,
    signal?: AbortSignal,
  ): Promise<EditRequest['assets'] | undefined> {
    if (files.length === 0) return [];
    const timeout = AbortSignal.timeout(this.options.ingestTimeoutMs);
    try {
      return await ingestAttachments({
        files,
        store: this.options.services.artifacts,
        limits: this.options.limits,
        thread: request.thread,
        requestId: request.id,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        onProgress: this.downloadProgress(request, logger),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const failure = timeout.aborted
        ? new TimeoutError(
            `ingest: ${this.options.ingestTimeoutMs} ms exceeded for ${files.length} file(s)`,
            {
              userMessage: `Downloading the clips took longer than ${Math.round(this.options.ingestTimeoutMs / 60_000)} minutes. Please try again, or upload smaller files.`,
            },
          )
        : toCutroomError(error);
      logger.info({ code: failure.code, err: failure.message }, 'attachments rejected');
      await this.reply(request, failure.userMessage, { code: failure.code });
      return undefined;
    }
  }

  /** Shows "Downloading 45% · clip.mov" in the status at most once a second (the status board keeps the newest). */
  private downloadProgress(request: IncomingRequest, logger: Logger): (progress: IngestProgress) => void {
    let shownAt = Date.now();
    return (progress) => {
      if (Date.now() - shownAt < DOWNLOAD_PROGRESS_INTERVAL_MS) return;
      shownAt = Date.now();
      const { name, index, count, receivedBytes, totalBytes } = progress;
      this.status(request, {
        stage: 'downloading',
        text: count > 1 ? `${name} (${index + 1} of ${count})` : name,
        percent: totalBytes ? Math.min(100, (100 * receivedBytes) / totalBytes) : undefined,
      }).catch((error: unknown) => logger.warn({ err: error }, 'could not show download progress'));
    };
  }

  private async cancel(request: IncomingRequest, logger: Logger): Promise<RequestOutcome> {
    const target =
      request.targetRequestId ?? (await this.options.services.threads.latestRequest(request.thread));
    if (target && !(await this.mayAct(request, target))) {
      logger.info({ target }, 'cancel refused: not the requester');
      await this.refusePrivately(request, BotMessages.onlyStarter('cancel this run'));
      return 'not_allowed';
    }
    const result = target ? await this.options.services.edits.cancel(target) : 'not_found';
    logger.info({ target, result }, 'cancel requested');
    if (!target || result === 'not_found' || result === 'finished') {
      await this.reply(request, BotMessages.nothingToCancel);
      return 'nothing_to_cancel';
    }
    // A running job says "Cancelled." itself; a removed one never runs, so the bot says it.
    if (result === 'removed') {
      await this.options.services.deliveries.enqueue({
        kind: 'status',
        thread: request.thread,
        requestId: target,
        stage: 'cancelled',
        text: 'Cancelled.',
      });
    }
    return 'cancel_requested';
  }

  private acknowledge(request: IncomingRequest, logger: Logger): void {
    this.options.acknowledge?.(request).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not acknowledge the request');
    });
  }

  private async status(
    request: IncomingRequest,
    fields: Pick<StatusDelivery, 'stage' | 'text' | 'queuePosition' | 'percent'>,
    options: { onlyBeforeStart?: boolean } = {},
  ): Promise<void> {
    await this.options.services.deliveries.enqueue(
      { kind: 'status', thread: request.thread, requestId: request.id, ...fields },
      options,
    );
  }

  private async reply(
    request: IncomingRequest,
    text: string,
    options: { code?: string } = {},
  ): Promise<void> {
    const delivery: Delivery = options.code
      ? { kind: 'error', thread: request.thread, requestId: request.id, code: options.code, text }
      : { kind: 'message', thread: request.thread, requestId: request.id, text };
    await this.options.services.deliveries.enqueue(delivery);
  }
}
