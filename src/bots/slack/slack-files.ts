/** @module Slack files as IncomingFiles: metadata from the event or files.info, bytes downloaded with the bot token. */
import type { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import { CutroomError, ErrorCode } from '../../errors.ts';
import { allowlistedFetch } from '../shared/allowlisted-fetch.ts';
import { IdleTimeout } from '../shared/idle-timeout.ts';
import type { IncomingFile } from '../shared/ingest-attachments.ts';

type WebClient = webApi.WebClient;

/** The fields of a Slack file object cutroom reads (events carry more). */
export const SlackFileSchema = z.object({
  id: z.string(),
  name: z.string().nullish(),
  title: z.string().nullish(),
  mimetype: z.string().nullish(),
  size: z.number().nullish(),
  mode: z.string().nullish(),
  is_external: z.boolean().nullish(),
  url_private: z.string().nullish(),
  url_private_download: z.string().nullish(),
  /** `check_file_info`: the event holds only the id; files.info has the rest. */
  file_access: z.string().nullish(),
});
export type SlackFile = z.infer<typeof SlackFileSchema>;

export interface SlackFilesOptions {
  client: WebClient;
  botToken: string;
  /**
   * Hosts the bot token may be sent to besides `slack.com` and its subdomains (the host of
   * SLACK_API_URL, for tests and enterprise proxies).
   */
  extraHosts?: string[];
  /** A download fails when nothing (no answer, no byte) arrives for this long. @defaultValue 30000 */
  idleTimeoutMs?: number;
}

/** The largest file Slack takes (files.uploadV2); the worker fits renders to it. */
export const SLACK_UPLOAD_LIMIT_BYTES = 1024 ** 3;

export const MISSING_FILES_READ =
  'I cannot read files in this workspace: the cutroom Slack app lacks the files:read permission. A workspace admin needs to add the files:read scope under OAuth & Permissions and reinstall the app.';

function isTrustedHost(hostname: string, extraHosts: string[]): boolean {
  return hostname === 'slack.com' || hostname.endsWith('.slack.com') || extraHosts.includes(hostname);
}

/** Wraps Slack file objects so each is resolved (files.info) and downloaded only when ingestion opens it. */
export function slackIncomingFiles(files: SlackFile[], options: SlackFilesOptions): IncomingFile[] {
  return files.map((file) => ({
    name: file.name || file.title || `${file.id}`,
    size: file.size ?? undefined,
    mimeType: file.mimetype ?? undefined,
    open: (signal) => openSlackFile(file, options, signal),
  }));
}

/**
 * Completes file objects the event only announced (`file_access: 'check_file_info'`) with files.info,
 * so names, types and sizes are known before anything is checked. A lookup that fails keeps the
 * stub; opening it then reports the error.
 */
export async function resolveSlackFiles(files: SlackFile[], client: WebClient): Promise<SlackFile[]> {
  return Promise.all(
    files.map((file) => (needsLookup(file) ? resolveFile(file, client).catch(() => file) : file)),
  );
}

function needsLookup(file: SlackFile): boolean {
  return file.file_access === 'check_file_info' || !(file.url_private_download || file.url_private);
}

async function resolveFile(file: SlackFile, client: WebClient): Promise<SlackFile> {
  if (!needsLookup(file)) return file;
  const response = await client.files.info({ file: file.id }).catch((error: unknown) => {
    throw slackFileError(file, error);
  });
  return SlackFileSchema.parse(response.file);
}

/** Reads a Slack error code from a Web API error (`missing_scope`, `file_not_found` …). */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

function slackFileError(file: SlackFile, error: unknown): CutroomError {
  const code = slackErrorCode(error);
  const name = file.name ?? file.id;
  if (code === 'missing_scope' || code === 'no_permission') {
    return new CutroomError(ErrorCode.MissingScope, `files.info ${file.id}: ${code}`, {
      userMessage: MISSING_FILES_READ,
      cause: error,
    });
  }
  if (code === 'file_not_found' || code === 'file_deleted') {
    return new CutroomError(ErrorCode.DownloadFailed, `files.info ${file.id}: ${code}`, {
      userMessage: `"${name}" is no longer available in Slack. Please upload it again.`,
      cause: error,
    });
  }
  return new CutroomError(ErrorCode.DownloadFailed, `files.info ${file.id}: ${code ?? String(error)}`, {
    userMessage: `I could not get "${name}" from Slack. Please try again.`,
    retryable: true,
    cause: error,
  });
}

async function openSlackFile(
  announced: SlackFile,
  options: SlackFilesOptions,
  signal?: AbortSignal,
): Promise<Readable> {
  const file = await resolveFile(announced, options.client);
  const name = file.name || file.title || file.id;
  if (file.is_external || file.mode === 'external') {
    throw new CutroomError(ErrorCode.AssetUnsupported, `slack file ${file.id} is external`, {
      userMessage: `"${name}" is a link to another service; please upload the clip itself to Slack.`,
    });
  }
  if (file.mode === 'tombstone' || file.mode === 'hidden_by_limit') {
    throw new CutroomError(ErrorCode.DownloadFailed, `slack file ${file.id} mode=${file.mode}`, {
      userMessage: `"${name}" is not available any more (deleted or hidden by the workspace's plan).`,
    });
  }
  const url = file.url_private_download || file.url_private;
  if (!url) throw slackFileError(file, new Error('no download URL'));
  const idle = new IdleTimeout({ idleTimeoutMs: options.idleTimeoutMs ?? 30_000, signal });
  const stalled = () =>
    new CutroomError(ErrorCode.DownloadFailed, `download ${file.id}: ${idle.signal.reason?.message}`, {
      userMessage: `Slack stopped sending "${name}": nothing arrived for ${Number(((options.idleTimeoutMs ?? 30_000) / 1000).toFixed(1))} s. Please try again.`,
      retryable: true,
    });
  let response: Response;
  try {
    // The token must never leave for a host that is not Slack, whatever an event or a redirect claims.
    response = await allowlistedFetch(url, {
      platform: 'slack',
      allowHost: (host) => isTrustedHost(host, options.extraHosts ?? []),
      httpHosts: options.extraHosts,
      headers: { authorization: `Bearer ${options.botToken}` },
      signal: idle.signal,
    });
  } catch (error) {
    idle.stop();
    if (signal?.aborted || error instanceof CutroomError) throw error;
    if (idle.idled) throw stalled();
    throw new CutroomError(ErrorCode.DownloadFailed, `download ${file.id}: ${(error as Error).message}`, {
      userMessage: `I could not download "${name}" from Slack. Please try again.`,
      retryable: true,
      cause: error,
    });
  }
  const contentType = response.headers.get('content-type') ?? '';
  // Without files:read Slack answers 200 with its sign-in page instead of the bytes.
  if (response.ok && /^text\/html/i.test(contentType) && !/^text\/html/i.test(file.mimetype ?? '')) {
    idle.stop();
    await response.body?.cancel();
    throw new CutroomError(
      ErrorCode.MissingScope,
      `download ${file.id}: got an HTML page, token lacks files:read`,
      {
        userMessage: MISSING_FILES_READ,
      },
    );
  }
  if (!response.ok || !response.body) {
    idle.stop();
    await response.body?.cancel();
    throw new CutroomError(ErrorCode.DownloadFailed, `download ${file.id}: HTTP ${response.status}`, {
      userMessage: `Slack refused the download of "${name}" (HTTP ${response.status}). Please upload it again.`,
      retryable: response.status >= 500,
    });
  }
  return idle.stream(response.body as WebReadableStream<Uint8Array>, stalled);
}

/**
 * Media files posted earlier in a thread by people (not bots), oldest first: what a mention
 * without attachments works on.
 */
export async function threadFiles(
  client: WebClient,
  channel: string,
  threadTs: string,
  options: { beforeTs?: string } = {},
): Promise<SlackFile[]> {
  const files: SlackFile[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.conversations.replies({ channel, ts: threadTs, limit: 200, cursor });
    for (const message of page.messages ?? []) {
      if (message.bot_id || (options.beforeTs && Number(message.ts) >= Number(options.beforeTs))) continue;
      for (const raw of (message as { files?: unknown[] }).files ?? []) {
        const file = SlackFileSchema.safeParse(raw);
        if (!file.success) continue;
        if (
          file.data.file_access === 'check_file_info' ||
          /^(?:video|audio|image)\//.test(file.data.mimetype ?? '')
        )
          files.push(file.data);
      }
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return files;
}
