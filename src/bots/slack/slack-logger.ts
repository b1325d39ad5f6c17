/** @module Bolt's logger interface on top of cutroom's logger, so Slack's client logs land in the same stream. */
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../../logger.ts';

function text(parts: unknown[]): string {
  return parts
    .map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p)))
    .join(' ');
}

/** Adapts `logger` for Bolt, the Web API client and the Socket Mode client. */
export function toSlackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => logger.debug(text(msg)),
    info: (...msg: unknown[]) => logger.info(text(msg)),
    warn: (...msg: unknown[]) => logger.warn(text(msg)),
    error: (...msg: unknown[]) => logger.error(text(msg)),
    // The level is decided by cutroom's logger; Bolt only asks what it is.
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
