/** @module The one logger type every part receives, backed by pino. */
import { pino } from 'pino';

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface CreateLoggerOptions {
  /** @defaultValue 'info' */
  level?: string;
  /** Human-readable lines on a terminal instead of JSON. @defaultValue false */
  pretty?: boolean;
}

// Never log credentials, whatever object they arrive in.
const REDACT = [
  '*.token',
  '*.apiKey',
  '*.signingSecret',
  '*.appToken',
  '*.licenseKey',
  '*.authorization',
  'headers.authorization',
  'config.openai.apiKey',
];

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
      transport: options.pretty
        ? { target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } }
        : undefined,
    },
    options.pretty ? undefined : pino.destination(2),
  );
}

/** A logger that drops everything, for tests and library use. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
