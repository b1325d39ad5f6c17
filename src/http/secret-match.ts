/** @module Constant-time comparison of a presented secret with the configured one. */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares SHA-256 digests, so the time taken depends on neither the secret's length nor where the first difference
 * is (comparing the raw strings would have to check their lengths first, and that leaks the length).
 */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
