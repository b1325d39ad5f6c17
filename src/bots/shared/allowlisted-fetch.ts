/**
 * @module Downloads from a chat platform's file hosts only: https (plain http only for a host configured for tests or
 * a proxy), hosts on an allowlist, and every redirect checked against the same rules before it is followed, so
 * neither a crafted event nor a redirect can send a token, or the download, anywhere else.
 */
import { CutroomError, ErrorCode } from '../../errors.ts';

export interface AllowlistedFetchOptions {
  /** Whether a host may be fetched from. */
  allowHost(hostname: string): boolean;
  /** Hosts reachable over plain http (the configured API URL's host in tests). @defaultValue none */
  httpHosts?: string[];
  /** Sent only to allowed hosts (every hop is one). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** @defaultValue 5 */
  maxRedirects?: number;
  /** Names the platform in errors ("slack", "discord"). */
  platform: string;
}

/** Why `url` may not be fetched, or undefined when it may. */
export function refuseDownloadUrl(
  url: string,
  options: Pick<AllowlistedFetchOptions, 'allowHost' | 'httpHosts'>,
): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (!options.allowHost(parsed.hostname)) return `untrusted host ${parsed.hostname}`;
  const http = parsed.protocol === 'http:' && (options.httpHosts ?? []).includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !http) return `not https (${parsed.protocol})`;
  return undefined;
}

/** `fetch` that follows redirects itself, checking each hop; throws download_failed for a refused one. */
export async function allowlistedFetch(url: string, options: AllowlistedFetchOptions): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const refusal = refuseDownloadUrl(current, options);
    if (refusal) {
      throw new CutroomError(ErrorCode.DownloadFailed, `${options.platform} download refused: ${refusal}`, {
        userMessage: `I could not download that file from ${options.platform === 'slack' ? 'Slack' : 'Discord'}: it pointed somewhere I do not download from.`,
      });
    }
    const response = await fetch(current, {
      headers: options.headers,
      signal: options.signal,
      redirect: 'manual',
    });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    if (hop >= (options.maxRedirects ?? 5)) {
      throw new CutroomError(ErrorCode.DownloadFailed, `${options.platform} download: too many redirects`, {
        userMessage: 'I could not download that file: it kept redirecting.',
      });
    }
    current = new URL(location, current).toString();
  }
}
