import { describe, expect, it } from 'vitest';
import {
  BrowserClosedError,
  CancelledError,
  CutroomError,
  ErrorCode,
  fromSerializedError,
  TimeoutError,
  toCutroomError,
} from '../../src/errors.ts';

describe('errors', () => {
  it('gives every error code a distinct snake_case value', () => {
    const values = Object.values(ErrorCode);
    expect(new Set(values).size).toBe(values.length);
    for (const value of values) expect(value).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it('carries its code, a plain user message and whether a retry can help', () => {
    const error = new CutroomError(ErrorCode.AssetTooLarge, 'upload: 900 MB over the 500 MB limit', {
      userMessage: 'That clip is too large (900 MB; the limit is 500 MB).',
    });
    expect(error).toMatchObject({ code: 'asset_too_large', retryable: false });
    expect(error.userMessage).toBe('That clip is too large (900 MB; the limit is 500 MB).');
  });

  it('each specialised class carries its own code', () => {
    expect(new BrowserClosedError('x')).toMatchObject({ code: 'browser_closed', retryable: true });
    expect(new TimeoutError('x')).toMatchObject({ code: 'timeout' });
    expect(new CancelledError()).toMatchObject({ code: 'cancelled' });
  });

  it('wraps unknown errors at a boundary, keeping the original as cause', () => {
    const original = new RangeError('boom');
    const wrapped = toCutroomError(original);
    expect(wrapped).toMatchObject({ code: 'internal', message: 'boom' });
    expect(wrapped.cause).toBe(original);
    const abort = Object.assign(new Error('stop'), { name: 'AbortError' });
    expect(toCutroomError(abort).code).toBe('cancelled');
  });

  it('survives a trip through JSON across processes', () => {
    const error = new CutroomError(ErrorCode.RenderFailed, 'core said no', {
      userMessage: 'Rendering failed.',
      retryable: true,
    });
    const back = fromSerializedError(JSON.parse(JSON.stringify(error)));
    expect(back).toMatchObject({ code: 'render_failed', userMessage: 'Rendering failed.', retryable: true });
  });
});
