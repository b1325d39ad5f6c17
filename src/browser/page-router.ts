/**
 * @module Serves the operator page, the media and render reports to a browser context by request
 * interception, and blocks every other request: the same for a local and a remote browser.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { BrowserContext, Frame, Route } from 'playwright-core';
import { installFrameGuard } from './frame-guard.ts';
import { loadOperatorFiles } from './operator-bundle.ts';

/** A secure origin (`*.localhost`) that never reaches the network: every request to it is answered from Node. */
export const OPERATOR_ORIGIN = 'http://cutroom.localhost';

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// Second line of defence behind interception: the page may only talk to its own origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** What a render in the page reports to Node; the MP4 itself arrives as a download (see BlobFileTarget). */
export interface RenderChannel {
  progress(report: unknown): void;
  /** Resolves once the render's download is saved; a rejection's message goes back to the page. */
  saved(): Promise<void>;
}

export interface PageRouterOptions {
  /** Called with each URL that was blocked, for logs and tests. */
  onBlocked?: (url: string) => void;
}

/** Request routing for one browser context. */
export class PageRouter {
  private readonly assets = new Map<string, string>();
  private readonly renders = new Map<string, RenderChannel>();
  private readonly loadedFrames = new WeakSet<Frame>();
  private nextAsset = 0;

  constructor(private readonly options: PageRouterOptions = {}) {}

  async install(context: BrowserContext): Promise<void> {
    await installFrameGuard(context);
    await context.route('**/*', (route) => this.handle(route));
    await context.routeWebSocket(/.*/, (ws) => {
      this.options.onBlocked?.(ws.url());
      void ws.close({ code: 1008, reason: 'blocked by cutroom' }).catch(() => {});
    });
  }

  /** Makes a file on disk fetchable by the page; returns its URL. */
  addAsset(filePath: string, name: string): string {
    const id = String(this.nextAsset++);
    this.assets.set(id, filePath);
    return `${OPERATOR_ORIGIN}/assets/${id}/${encodeURIComponent(name)}`;
  }

  /** Accepts one render's reports until the returned function is called. */
  openRenderChannel(
    token: string,
    channel: RenderChannel,
  ): { savedUrl: string; progressUrl: string; close: () => void } {
    this.renders.set(token, channel);
    return {
      savedUrl: `${OPERATOR_ORIGIN}/__cutroom/saved/${token}`,
      progressUrl: `${OPERATOR_ORIGIN}/__cutroom/progress/${token}`,
      close: () => this.renders.delete(token),
    };
  }

  private async handle(route: Route): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    if (url.origin !== OPERATOR_ORIGIN) {
      this.options.onBlocked?.(request.url());
      await route.abort('blockedbyclient').catch(() => {});
      return;
    }
    if (request.isNavigationRequest()) {
      // Each frame loads the operator once: a second navigation (a reload, `location = …`) gets 204 No Content,
      // which leaves the loaded page in place.
      const frame = request.frame();
      if (this.loadedFrames.has(frame)) {
        this.options.onBlocked?.(request.url());
        await route.fulfill({ status: 204 }).catch(() => {});
        return;
      }
      this.loadedFrames.add(frame);
    }
    try {
      if (url.pathname.startsWith('/assets/')) return await this.serveAsset(route, url);
      if (url.pathname.startsWith('/__cutroom/')) return await this.receive(route, url);
      const file = (await loadOperatorFiles()).get(url.pathname);
      if (!file || request.method() !== 'GET') return await route.fulfill({ status: 404, body: 'not found' });
      await route.fulfill({
        status: 200,
        body: file.body,
        headers: {
          ...ISOLATION_HEADERS,
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
          'Content-Type': file.contentType,
          'Cache-Control': 'no-store',
        },
      });
    } catch (error) {
      await route
        .fulfill({ status: 500, body: error instanceof Error ? error.message : String(error) })
        .catch(() => {});
    }
  }

  private async serveAsset(route: Route, url: URL): Promise<void> {
    const id = url.pathname.split('/')[2] ?? '';
    const filePath = this.assets.get(id);
    if (!filePath) return route.fulfill({ status: 404, body: 'no such asset' });
    const { size } = await stat(filePath);
    const headers: Record<string, string> = {
      ...ISOLATION_HEADERS,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
    };
    const range = parseRange(route.request().headers().range, size);
    if (range === 'invalid') {
      return route.fulfill({ status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } });
    }
    const [start, end] = range ?? [0, size - 1];
    const body = await readSlice(filePath, start, end);
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    await route.fulfill({ status: range ? 206 : 200, headers, body });
  }

  private async receive(route: Route, url: URL): Promise<void> {
    const [, , kind, token] = url.pathname.split('/');
    const channel = token ? this.renders.get(token) : undefined;
    if (!channel || route.request().method() !== 'POST')
      return route.fulfill({ status: 404, body: 'no such render' });
    if (kind === 'saved') {
      try {
        await channel.saved();
      } catch (error) {
        return route.fulfill({ status: 500, headers: ISOLATION_HEADERS, body: (error as Error).message });
      }
    } else if (kind === 'progress') {
      const body = route.request().postDataBuffer() ?? Buffer.alloc(0);
      channel.progress(JSON.parse(body.toString('utf8') || 'null'));
    } else {
      return route.fulfill({ status: 404, body: 'not found' });
    }
    await route.fulfill({ status: 204, headers: ISOLATION_HEADERS });
  }
}

/** `bytes=a-b` (one range; what media demuxers send) → inclusive byte offsets; undefined when absent. */
export function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | undefined | 'invalid' {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return [start, end];
}

function readSlice(filePath: string, start: number, end: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(filePath, { start, end })
      .on('data', (chunk) => chunks.push(chunk as Buffer))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
}
