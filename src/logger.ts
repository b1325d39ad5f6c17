/** @module The one logger type every part receives, backed by pino. */
import { pino } from 'pino';
import { redactDeep, redactSecrets } from './redact-secrets.ts';

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

/**
 * A log line's fields with every secret redacted. An error (under any key) goes through pino's own serializer first:
 * its message and stack are not enumerable, so a plain copy would log it as `{}`, and pino runs this formatter
 * before its serializers. REST errors carry request URLs and bodies, hence the redaction after.
 */
function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const serialized = Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      value instanceof Error ? pino.stdSerializers.err(value) : value,
    ]),
  );
  return redactDeep(serialized) as Record<string, unknown>;
}

export function createLogger(
  options: CreateLoggerOptions = {},
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
      // Errors are serialized in `redactFields`; pino's default `err` serializer would serialize them again.
      serializers: { err: (value: unknown) => value },
      formatters: { log: redactFields },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)) as Parameters<
              typeof method
            >,
          );
        },
      },
      transport: options.pretty
        ? { target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } }
        : undefined,
    },
    destination ?? (options.pretty ? undefined : pino.destination(2)),
  );
}

/** A logger that drops everything, for tests and library use. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
