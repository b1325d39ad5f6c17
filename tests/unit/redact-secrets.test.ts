import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { redactSecrets } from '../../src/redact-secrets.ts';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('redactSecrets', () => {
  it('drops the password of a Redis URL and keeps where it points', () => {
    expect(redactSecrets('redis://:s3cret-pass@redis.internal:6379/0')).toBe(
      'redis://:[redacted]@redis.internal:6379/0',
    );
    expect(redactSecrets('rediss://cutroom:pw@host:6380')).toBe('rediss://cutroom:[redacted]@host:6380');
  });

  it('drops Discord interaction and webhook tokens from request paths', () => {
    expect(redactSecrets('POST /api/v10/interactions/123/aW50ZXJhY3Rpb246dG9rZW4/callback')).toBe(
      'POST /api/v10/interactions/123/[redacted]/callback',
    );
    expect(redactSecrets('PATCH https://discord.com/api/v10/webhooks/42/tok.en_-x/messages/@original')).toBe(
      'PATCH https://discord.com/api/v10/webhooks/42/[redacted]/messages/@original',
    );
  });

  it('drops bearer, bot and Slack tokens and secret query parameters', () => {
    expect(redactSecrets('Authorization: Bearer abcdefgh12345678')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets('Bot MTIzNDU2Nzg5.abc.def')).toBe('Bot [redacted]');
    expect(redactSecrets('token xoxb-1234-5678-abcdefgh')).toBe('token [redacted]');
    expect(redactSecrets('ws://h/?token=abc&x=1')).toBe('ws://h/?token=[redacted]&x=1');
  });
});

describe('the logger', () => {
  it('logs an error’s type, message and stack, which a plain copy of its fields would lose', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info' }, stream).warn({ err: new TypeError('no such thread') }, 'lookup failed');
    const { err } = JSON.parse(lines.join(''));
    expect(err).toMatchObject({ type: 'TypeError', message: 'no such thread' });
    expect(err.stack).toMatch(/^TypeError: no such thread\n\s+at /);
  });

  it('redacts a REST error’s URL and request body, as discord.js raises them', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info' }, stream);
    const error = Object.assign(new Error('Unknown interaction'), {
      method: 'POST',
      url: 'https://discord.com/api/v10/interactions/987/secret-interaction-token/callback',
      requestBody: { json: { content: 'x' }, files: undefined },
    });
    logger.error({ err: error }, 'discord interaction handler failed');
    expect(JSON.parse(lines.join('')).err.message).toBe('Unknown interaction');
    expect(lines.join('')).toContain('/interactions/987/[redacted]/callback');
    expect(lines.join('')).not.toContain('secret-interaction-token');
  });

  it('redacts credentials in messages and fields', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info' }, stream);
    logger.info({ redisUrl: 'redis://:hunter2@db:6379' }, 'connecting to redis://:hunter2@db:6379');
    expect(lines.join('')).not.toContain('hunter2');
  });
});
