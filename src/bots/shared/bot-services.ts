/** @module What a chat bot gets from the composition root: the queues and stores it may use, and its deliveries. */
import type { DeliveryQueue } from '../../deliveries/delivery-queue.ts';
import type { ThreadSurface } from '../../deliveries/thread-surface.ts';
import type { Logger } from '../../logger.ts';
import type { EditQueue } from '../../queue/edit-queue.ts';
import type { RateLimiter } from '../../queue/rate-limiter.ts';
import type { RedisThreadStore } from '../../queue/thread-store.ts';
import type { Platform } from '../../queue/types.ts';
import type { AttachmentStore } from './ingest-attachments.ts';

/** Built once (src/open-services.ts) and passed in: a bot builds no queue or store of its own. */
export interface BotServices {
  edits: Pick<EditQueue, 'enqueue' | 'cancel' | 'threadRequests'>;
  deliveries: Pick<DeliveryQueue, 'enqueue'>;
  threads: Pick<
    RedisThreadStore,
    | 'claim'
    | 'owns'
    | 'latestRequest'
    | 'firstSighting'
    | 'rememberUploadLimit'
    | 'uploadLimit'
    | 'expired'
    | 'starter'
    | 'requester'
    | 'latest'
    | 'list'
    | 'version'
    | 'versionLinks'
  >;
  /** Absent: no request limits. */
  rateLimiter?: Pick<RateLimiter, 'consume'>;
  artifacts: AttachmentStore;
  /** Starts posting the platform's deliveries onto `surface`; the bot closes what it gets. */
  startDeliveries(
    platform: Platform,
    surface: ThreadSurface,
    options: { statusIntervalMs?: number; logger: Logger },
  ): Promise<{ close(): Promise<void> }>;
}
