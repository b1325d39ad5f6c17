/**
 * @module The status of each request in Redis: the latest one reported, the one shown, the message
 * showing it, and whether the request has ended. Producers report; the delivery consumer shows.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX, RedisKeys } from '../queue/redis-keys.ts';
import { isRunningStage, isTerminalStage, type StatusDelivery } from './types.ts';

export interface StatusBoardOptions {
  redis: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
}

/** What a status shows: its stage and detail, without where or whose. */
export type StatusFields = Pick<StatusDelivery, 'stage' | 'text' | 'percent' | 'queuePosition'>;

export interface ReportOptions {
  /**
   * Applies only while no worker has started the request: the bot's "queued, position n" must not
   * replace what a fast worker already reported.
   */
  onlyBeforeStart?: boolean;
}

export interface StatusRecord {
  /** The platform message showing the status, once posted. */
  messageId?: string;
  /** Set once the request ended (result, error or a final status): nothing may reopen it. */
  ended?: string;
}

// How long a request's status is kept: far longer than any job runs.
const STATUS_TTL_SECONDS = 7 * 24 * 3600;
// A pending flag outliving its job (a crash between the report and the enqueue) only delays the next status this long.
const PENDING_TTL_MS = 60_000;

// KEYS: status hash, pending flag. ARGV: latest JSON, started ('1'), final ('1'), onlyBeforeStart ('1'),
// status TTL (s), pending TTL (ms). Returns { seq, 1 when a status job must be queued }.
const REPORT_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 or redis.call('HEXISTS', KEYS[1], 'final') == 1 then
  return { 0, 0 }
end
if ARGV[4] == '1' and redis.call('HEXISTS', KEYS[1], 'started') == 1 then return { 0, 0 } end
redis.call('HSET', KEYS[1], 'latest', ARGV[1])
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'started', '1') end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'final', '1') end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
if redis.call('SET', KEYS[2], seq, 'NX', 'PX', ARGV[6]) then return { seq, 1 } end
return { seq, 0 }
`;

// Clears the pending flag first, so a report arriving from here on queues a job of its own.
const TAKE_SCRIPT = `
redis.call('DEL', KEYS[2])
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return false end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local shown = tonumber(redis.call('HGET', KEYS[1], 'shown') or '0')
if seq <= shown then return false end
return { seq, redis.call('HGET', KEYS[1], 'latest') }
`;

/**
 * One status per request, shown in one message that is created once and then edited. A report only
 * stores the latest status and asks for one status job when none is pending, so a worker may report
 * as often as it likes: the consumer shows the newest at its own pace, and a status that arrives
 * after the request ended never reopens it.
 */
export class StatusBoard {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;

  constructor(options: StatusBoardOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
  }

  /**
   * Stores `status` as the request's latest.
   * @returns the report's sequence number and whether a status job must be queued for it (none is
   * pending); `{ seq: 0 }` when the report was refused (the request ended or has started).
   */
  async report(
    requestId: string,
    status: StatusFields,
    options: ReportOptions = {},
  ): Promise<{ seq: number; queueJob: boolean }> {
    const [seq, queueJob] = (await this.redis.eval(
      REPORT_SCRIPT,
      2,
      this.keys.status(requestId),
      this.keys.statusPending(requestId),
      JSON.stringify(status),
      isRunningStage(status.stage) ? '1' : '',
      isTerminalStage(status.stage) ? '1' : '',
      options.onlyBeforeStart ? '1' : '',
      STATUS_TTL_SECONDS,
      PENDING_TTL_MS,
    )) as [number, number];
    return { seq, queueJob: queueJob === 1 };
  }

  /** Whether the latest reported status is final (it is shown without waiting for the pace). */
  async isFinal(requestId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.status(requestId), 'final')) === 1;
  }

  /**
   * The latest status when it is newer than what was shown and the request has not ended; clears
   * the pending flag, so later reports queue a new job.
   */
  async take(requestId: string): Promise<{ seq: number; status: StatusFields } | undefined> {
    const result = (await this.redis.eval(
      TAKE_SCRIPT,
      2,
      this.keys.status(requestId),
      this.keys.statusPending(requestId),
    )) as [number, string] | null;
    return result ? { seq: result[0], status: JSON.parse(result[1]) as StatusFields } : undefined;
  }

  /** Records that report `seq` is on screen. */
  async shown(requestId: string, seq: number): Promise<void> {
    await this.write(requestId, { shown: String(seq) });
  }

  async record(requestId: string): Promise<StatusRecord> {
    const [messageId, ended] = await this.redis.hmget(this.keys.status(requestId), 'message', 'ended');
    return { messageId: messageId ?? undefined, ended: ended ?? undefined };
  }

  async setMessage(requestId: string, messageId: string): Promise<void> {
    await this.write(requestId, { message: messageId });
  }

  /** Ends the request's status: later reports and status jobs change nothing. */
  async end(requestId: string, stage: string): Promise<void> {
    await this.write(requestId, { ended: stage });
  }

  private async write(requestId: string, fields: Record<string, string>): Promise<void> {
    const key = this.keys.status(requestId);
    await this.redis.multi().hset(key, fields).expire(key, STATUS_TTL_SECONDS).exec();
  }
}
