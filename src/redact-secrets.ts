/** @module Strips credentials out of text before it is logged or printed: URL passwords, tokens in paths, bearer and platform tokens. */

const PATTERNS: [RegExp, string][] = [
  // scheme://user:password@host (Redis, proxies): keep the user, drop the password.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi, '$1[redacted]@'],
  // Discord interaction and webhook tokens travel in the path: /webhooks/<app>/<token>, /interactions/<id>/<token>.
  [/(\/(?:webhooks|interactions)\/\d+\/)[A-Za-z0-9._-]+/g, '$1[redacted]'],
  [/\b(Bearer|Bot)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]'],
  // Slack tokens (xoxb-, xoxp-, xapp-…).
  [/\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{8,}/g, '[redacted]'],
  // Query parameters that carry secrets.
  [/([?&](?:token|access_token|key|api_key|secret|password)=)[^&\s#]+/gi, '$1[redacted]'],
];

/** The text with every credential we recognise replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** Applies `redactSecrets` to every string in a plain value (objects, arrays, errors' own fields), depth-limited. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  if (Buffer.isBuffer(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) result[key] = redactDeep(inner, depth + 1);
  return result;
}
