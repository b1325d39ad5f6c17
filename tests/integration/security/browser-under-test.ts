/** @module Test helper: a browser pool on a local Chromium or behind a real `cutroom browser-server`, for the shared security suites. */
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider, RemoteBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { startBrowserServer } from '../../../src/browser/browser-server.ts';
import { RemoteBrowserConnector } from '../../../src/browser/remote-browser-connector.ts';
import { createSilentLogger, type Logger } from '../../../src/logger.ts';

export type BrowserKind = 'local' | 'browser-server';

export interface BrowserUnderTest {
  pool: BrowserPool;
  close(): Promise<void>;
}

export interface OpenBrowserOptions {
  /** Extra Chromium flags (a NetLog). */
  args?: string[];
  licenseKey?: string;
  memoryMb?: number;
  /** Receives the pool's, the provider's and the browser-server's logs. @defaultValue silent */
  logger?: Logger;
}

export async function openBrowser(
  kind: BrowserKind,
  options: OpenBrowserOptions = {},
): Promise<BrowserUnderTest> {
  const logger = options.logger ?? createSilentLogger();
  const poolOptions = { logger, size: 0, licenseKey: options.licenseKey, memoryMb: options.memoryMb };
  if (kind === 'local') {
    const pool = new BrowserPool({
      ...poolOptions,
      provider: new LocalBrowserProvider({ logger, args: options.args, memoryMb: options.memoryMb }),
    });
    return { pool, close: () => pool.close() };
  }
  const token = 'security-suite-token';
  const server = await startBrowserServer({
    token,
    maxSessions: 2,
    args: options.args,
    memoryMb: options.memoryMb,
  });
  const pool = new BrowserPool({
    ...poolOptions,
    provider: new RemoteBrowserProvider({
      connector: new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token, logger }),
    }),
  });
  return {
    pool,
    close: async () => {
      await pool.close();
      await server.close();
    },
  };
}
