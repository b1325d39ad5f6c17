/** @module `cutroom browser-server`: serves browser sessions to remote workers until SIGTERM or SIGINT. */
import { startBrowserServer } from '../browser/browser-server.ts';
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createLogger } from '../logger.ts';

export interface BrowserServerCommandOptions {
  port: string;
  host: string;
  maxSessions: string;
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      `${flag} must be an integer ${min}–${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export async function browserServer(opts: BrowserServerCommandOptions): Promise<void> {
  const port = parseInteger('--port', opts.port, 0, 65_535);
  const maxSessions = parseInteger('--max-sessions', opts.maxSessions, 1, 256);
  const config = loadConfig();
  if (!config.browser.token) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'browser-server refuses to run without a token: set CUTROOM_BROWSER_TOKEN (the same value on every worker)',
    );
  }
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY });
  const server = await startBrowserServer({
    port,
    host: opts.host,
    maxSessions,
    token: config.browser.token,
    chromiumPath: config.browser.chromiumPath,
    gpu: config.browser.gpu,
    memoryMb: config.browser.memoryMb,
    chromiumUser: config.browser.chromiumUser,
    logger,
  });
  process.stdout.write(`cutroom browser-server: ${server.wsEndpoint} (health: ${server.url}/healthz)\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down');
  await server.close();
}
