/** @module Builds the browser pool the configuration asks for: remote endpoints when set, else local Chromium. */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { BrowserPool, type BrowserPoolOptions } from './browser-pool.ts';
import { LocalBrowserProvider, RemoteBrowserProvider } from './browser-provider.ts';
import { RemoteBrowserConnector } from './remote-browser-connector.ts';

export function createBrowserPool(
  config: Config,
  logger: Logger,
  overrides: Partial<Omit<BrowserPoolOptions, 'provider'>> = {},
): BrowserPool {
  const { browser } = config;
  const provider =
    browser.wsEndpoints.length > 0
      ? new RemoteBrowserProvider({
          connector: new RemoteBrowserConnector({
            endpoints: browser.wsEndpoints,
            token: browser.token,
            logger,
          }),
        })
      : new LocalBrowserProvider({
          chromiumPath: browser.chromiumPath,
          memoryMb: browser.memoryMb,
          user: browser.chromiumUser,
          logger,
        });
  return new BrowserPool({
    provider,
    size: browser.poolSize,
    licenseKey: browser.licenseKey,
    memoryMb: browser.memoryMb,
    timeouts: { codeTimeoutMs: browser.codeTimeoutMs, renderTimeoutMs: browser.renderTimeoutMs },
    logger,
    ...overrides,
  });
}
