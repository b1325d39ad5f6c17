/** @module The platform-neutral view of a chat thread the thread cases drive: start, reply, press, read. */
import type { Services } from '../../../src/open-services.ts';
import type { ThreadRef } from '../../../src/queue/types.ts';
import {
  type OpenAiFakeServer,
  textReply,
  toolCallReply,
  verdictReply,
} from '../../fakes/openai-fake-server.ts';
import type { SlowLink } from '../../fakes/slow-link.ts';
import type { WorkerProcesses } from '../../helpers/stack-worker.ts';

/** Someone in the workspace; each driver maps these onto its platform's user ids. */
export type CaseUser = 'alice' | 'bob' | 'admin';

/** One thing the bot posted in the thread: a message (maybe edited since) or an uploaded file with its caption. */
export interface ThreadPost {
  /** Stable while the post exists (a status message keeps its id through edits). */
  id: string;
  text: string;
  /** Every text the post has shown, oldest first (a status message's stages). */
  shown: string[];
  /** Whom posting it notified, as the platform decides (`@everyone`, a user, a role …). */
  pings: string[];
  /** Uploaded files' names, e.g. `cutroom.mp4`, `preview-1.jpg`, `cutroom-v2.js`. */
  files: string[];
  /** The bytes of the first file, when there is one. */
  file?: Buffer;
  /** Buttons under it: what they do and, for Undo, the version they carry. */
  buttons: { kind: 'undo' | 'cancel'; version?: number }[];
}

/** A thread the bot works in. */
export interface CaseThread {
  ref: ThreadRef;
  /** A plain reply in the thread (no mention), optionally with clips. */
  reply(text: string, options?: { as?: CaseUser; clips?: number }): Promise<void>;
  /**
   * Runs a thread command the way the platform offers one: on Discord `/edit action:<name> [version:N]` in the thread;
   * on Slack, which has no command there, the same words typed as a reply.
   */
  command(
    name: 'go back' | 'show code' | 'versions',
    options?: { version?: number; as?: CaseUser },
  ): Promise<void>;
  /** Presses a button of `post` as `as` (default alice). */
  press(post: ThreadPost, kind: 'undo' | 'cancel', options?: { as?: CaseUser }): Promise<void>;
  /** Everything the bot posted in the thread that everyone sees, oldest first. */
  posts(): ThreadPost[];
  /** What the bot told only `user` in this thread (Slack ephemerals, Discord ephemeral interaction replies). */
  privateReplies(user: CaseUser): string[];
}

/** One platform's stack (bot, worker, fakes) as the cases see it. */
export interface ThreadDriver {
  platform: 'slack' | 'discord';
  /** The OpenAI-compatible fake; script `agentModel` and `visionModel`. */
  llm: OpenAiFakeServer;
  agentModel: string;
  visionModel: string;
  services: Services;
  /**
   * Starts a thread by addressing the bot with `clips` clips (0: none) and `prompt`, as `as` (default alice); the
   * clips download over `link` when given.
   */
  start(prompt: string, options?: { as?: CaseUser; clips?: number; link?: SlowLink }): Promise<CaseThread>;
  /**
   * Waits until the thread has a post not in `seen` (ids from an earlier `posts()`) matching `match`, re-checking
   * as the fakes serve requests. The error names the thread's posts.
   */
  waitForPost(
    thread: CaseThread,
    match: (post: ThreadPost) => boolean,
    options?: { seen?: ThreadPost[]; timeoutMs?: number; what?: string },
  ): Promise<ThreadPost>;
  /**
   * Hands the edit queue to `count` real `cutroom worker` processes until the handle's `close()`, for cases that kill
   * workers; the stack's in-process worker takes no job meanwhile.
   */
  workerProcesses(count: number): Promise<WorkerProcesses>;
  close(): Promise<void>;
}

/** What a driver's stack is started with: a Redis of the file's own, and the clip every attachment carries. */
export interface CaseFixtures {
  redisUrl: string;
  clip: Buffer;
}

/** Configuration both platforms' stacks run the cases with. */
export const CASE_ENV = {
  // Short enough for a case to wait out, long enough that no download from a fake on loopback ever pauses so long.
  CUTROOM_DOWNLOAD_IDLE_TIMEOUT_SECONDS: '2',
};

/** A short trim as the agent writes it: a 1–2 s cut of the first video. */
export function trimCode(seconds: number): string {
  return `composition.clear();
const v = assets.find((a) => a.kind === 'video');
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, ${seconds}] }));`;
}

/** Scripts one agent edit: code, check, render, caption. */
export function scriptEdit(driver: ThreadDriver, code: string, summary: string): void {
  driver.llm.enqueueFor(
    driver.agentModel,
    toolCallReply('run_code', { code }),
    toolCallReply('visual_feedback', {}),
    toolCallReply('render', {}),
    textReply(summary),
  );
  driver.llm.enqueueFor(driver.visionModel, verdictReply('approve'));
}

/** Scripts an agent turn that only answers (no tool call): what a model does with "thanks!". */
export function scriptAnswer(driver: ThreadDriver, text: string): void {
  driver.llm.enqueueFor(driver.agentModel, textReply(text));
}

/** The posts carrying a render (an MP4). */
export function renders(thread: CaseThread): ThreadPost[] {
  return thread.posts().filter((p) => p.files.some((f) => /\.mp4$/i.test(f)));
}

/** The post holding the Undo button of version `version` (the result itself, or Slack's note after it). */
export function undoButtonOf(thread: CaseThread, version: number): ThreadPost | undefined {
  return thread.posts().find((p) => p.buttons.some((b) => b.kind === 'undo' && b.version === version));
}

/** What both drivers' `waitForPost` do: a post not seen before (by id and text) that matches. */
export function waitForThreadPost(
  thread: CaseThread,
  match: (post: ThreadPost) => boolean,
  {
    seen = [],
    timeoutMs = 60_000,
    what = 'a post',
  }: { seen?: ThreadPost[]; timeoutMs?: number; what?: string } = {},
): Promise<ThreadPost> {
  const old = new Set(seen.map((p) => `${p.id}\n${p.text}`));
  return pollUntil(() => thread.posts().find((p) => !old.has(`${p.id}\n${p.text}`) && match(p)), {
    timeoutMs,
    what,
    describe: () => `posts: ${JSON.stringify(thread.posts().map((p) => p.text))}`,
  });
}

/** Polls `check` (fakes notify on each request; a poll catches state changed elsewhere, e.g. Redis). */
async function pollUntil<T>(
  check: () => T | undefined | false,
  { timeoutMs, what, describe }: { timeoutMs: number; what: string; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${timeoutMs} ms waiting for ${what}; ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
