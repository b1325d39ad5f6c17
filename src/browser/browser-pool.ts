/** @module A warm pool of edit sessions: each job gets a fresh browser context with the operator already loaded. */
import { CutroomError, ErrorCode, toCutroomError } from '../errors.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import type { BrowserProvider, LeasedBrowser } from './browser-provider.ts';
import { type EditSessionTimeouts, PageEditSession } from './edit-session.ts';
import { PageRouter } from './page-router.ts';
import type { WaitOptions } from './types.ts';

export interface BrowserPoolOptions {
  provider: BrowserProvider;
  /** Sessions kept loaded and ready. @defaultValue 1 */
  size?: number;
  /** Passed to core so renders carry no watermark. */
  licenseKey?: string;
  /** The memory cap each page runs under, for messages (the provider enforces it). */
  memoryMb?: number;
  timeouts?: Partial<EditSessionTimeouts>;
  logger?: Logger;
  /** Called with each request the page tried to make outside the operator origin. */
  onBlocked?: (url: string) => void;
}

interface WarmSession {
  session: PageEditSession;
  lease: LeasedBrowser;
}

export class BrowserPool {
  private readonly warm: Promise<WarmSession>[] = [];
  private readonly active = new Set<PageEditSession>();
  private readonly size: number;
  private readonly logger: Logger;
  private closing?: Promise<void>;

  constructor(private readonly options: BrowserPoolOptions) {
    this.size = options.size ?? 1;
    if (!Number.isInteger(this.size) || this.size < 0) {
      throw new TypeError(`BrowserPoolOptions.size must be a non-negative integer, got ${options.size}`);
    }
    this.logger = options.logger ?? createSilentLogger();
  }

  /** Fills the warm pool now instead of on first use. */
  async warmUp(options: WaitOptions = {}): Promise<void> {
    this.refill();
    await Promise.all(this.warm.map((w) => w.catch(() => undefined)));
    if (options.signal?.aborted) throw options.signal.reason;
  }

  /** A session for one job; give it back with `session.release()`. */
  async acquire(options: WaitOptions = {}): Promise<PageEditSession> {
    if (this.closing)
      throw new CutroomError(ErrorCode.BrowserUnavailable, 'acquire: the browser pool is closed');
    while (this.warm.length > 0) {
      const candidate = this.warm.shift() as Promise<WarmSession>;
      const warm = await candidate.catch((error) => {
        this.logger.warn({ err: (error as Error).message }, 'a warm session failed to start');
        return undefined;
      });
      if (warm && isHealthy(warm)) return this.activate(warm);
      if (warm) await this.dispose(warm);
    }
    return this.activate(await this.create(options));
  }

  stats(): { warm: number; active: number } {
    return { warm: this.warm.length, active: this.active.size };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const warm = this.warm.splice(0);
      const results = await Promise.allSettled(warm);
      for (const r of results) if (r.status === 'fulfilled') await this.dispose(r.value);
      await Promise.allSettled([...this.active].map((s) => s.release()));
      await this.options.provider.close().catch(() => {});
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private activate({ session }: WarmSession): PageEditSession {
    this.active.add(session);
    return session;
  }

  /**
   * Keeps `size` sessions in existence, warm or in use: a replacement is prepared when a session is released, not
   * while a job runs, so a job never shares its machine with a page loading behind it, and memory stays at one
   * browser context per slot.
   */
  private refill(): void {
    if (this.closing) return;
    while (this.warm.length + this.active.size < this.size) {
      const pending = this.create({});
      pending.catch(() => {});
      this.warm.push(pending);
    }
  }

  private async create(options: WaitOptions): Promise<WarmSession> {
    const lease = await this.options.provider.lease(options);
    try {
      // Downloads carry the rendered MP4 to Node; the session cancels any download it did not announce.
      const context = await lease.browser.newContext({ serviceWorkers: 'block', acceptDownloads: true });
      const router = new PageRouter({
        onBlocked: (url) => {
          this.logger.warn({ url, endpoint: lease.endpoint }, 'blocked a request from the operator page');
          this.options.onBlocked?.(url);
        },
      });
      await router.install(context);
      const session = await PageEditSession.open(
        {
          context,
          router,
          logger: this.logger,
          licenseKey: this.options.licenseKey,
          memoryMb: this.options.memoryMb,
          timeouts: this.options.timeouts,
          onRelease: () => {
            this.active.delete(session);
            this.refill();
            void lease.done().catch(() => {});
          },
        },
        options,
      );
      return { session, lease };
    } catch (error) {
      await lease.done().catch(() => {});
      throw toCutroomError(error, ErrorCode.BrowserUnavailable);
    }
  }

  private async dispose(warm: WarmSession): Promise<void> {
    await warm.session.release().catch(() => {});
  }
}

function isHealthy({ session, lease }: WarmSession): boolean {
  return lease.browser.isConnected() && !session.currentPage.isClosed();
}
