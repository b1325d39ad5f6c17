/**
 * @module What the commands that need no model answer: `help`, `status`, `versions` and the replayable script
 * of `show code`, as plain text the same on every platform.
 */
import { formatClock } from '../../deliveries/format-result.ts';
import type { AgentUsage, EditRequest, Version } from '../../queue/types.ts';

export const HELP_TEXT = [
  'I edit video in this thread. Attach clips and say what you want, then reply to change the result. For example:',
  '• "cut the best 15 seconds, make it vertical and add the title Launch day"',
  '• "remove the pauses and add captions"',
  'Questions about the video get an answer without a new render.',
  'Commands: `help`, `status`, `versions`, `undo`, `redo`, `go back to version N` (or `use v2`), `show code`, `cancel`.',
].join('\n');

/** " · 0:05"-style length, or nothing when unknown. */
function length(seconds: number | undefined): string {
  return seconds === undefined ? '' : ` · ${formatClock(seconds)}`;
}

function quoted(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return `“${line.length > max ? `${line.slice(0, max - 1)}…` : line}”`;
}

/** What the agent spent on a version: "5 AI calls, 12.3k tokens". */
function spent(usage: AgentUsage | undefined): string {
  if (!usage || usage.llmCalls === 0) return '';
  const tokens = usage.promptTokens + usage.completionTokens;
  const amount = tokens >= 1000 ? `${(tokens / 1000).toFixed(1)}k` : String(tokens);
  return ` · ${usage.llmCalls} AI call${usage.llmCalls === 1 ? '' : 's'}, ${amount} tokens`;
}

/** The thread's versions, oldest first, the current one marked, with what each cost and where it was posted. */
export function versionsText(
  versions: Version[],
  current: number | undefined,
  links: ReadonlyMap<number, string> = new Map(),
): string {
  if (versions.length === 0) return 'There is no version in this thread yet.';
  const lines = versions.map(
    (v) =>
      `• v${v.number}${length(v.durationSeconds)} · ${quoted(v.prompt)}${spent(v.usage)}${v.number === current ? ' ← current' : ''}${links.has(v.number) ? ` · ${links.get(v.number)}` : ''}`,
  );
  return [
    'Versions in this thread:',
    ...lines,
    'Say `go back to version N`, `undo`, `redo` or `show code`.',
  ].join('\n');
}

const KIND_WORDS: Record<EditRequest['kind'], string> = {
  edit: '',
  undo: 'undo',
  redo: 'redo',
  goto: 'go back',
};

function describeRequest(request: EditRequest): string {
  const what = request.kind === 'edit' ? quoted(request.prompt) : KIND_WORDS[request.kind];
  // Slack's events carry only a user id, and a mention in cutroom's (escaped) text would show as code: no name, no "from".
  return request.user.name ? `${what} (from ${request.user.name})` : what;
}

/** What runs and waits in the thread, and the current version. */
export function statusText(
  requests: { request: EditRequest; running: boolean }[],
  current: Version | undefined,
): string {
  const running = requests.filter((r) => r.running);
  const waiting = requests.filter((r) => !r.running);
  const lines = [
    ...running.map((r) => `Working on ${describeRequest(r.request)}.`),
    ...waiting.map((r, i) => `Queued ${i + 1}: ${describeRequest(r.request)}.`),
  ];
  if (lines.length === 0) lines.push('Nothing is running or queued in this thread.');
  lines.push(current ? `Current version: v${current.number}.` : 'No version yet.');
  return lines.join('\n');
}

/**
 * A version's code actions as one file `cutroom render --script` replays: each action in a block of its own, so
 * names declared by two actions do not clash.
 */
export function scriptText(version: Version): string {
  const clips = version.assets.map((a, i) => `//   assets[${i}] = "${a.name}"`);
  const steps = version.script.map((code, i) => `// Step ${i + 1}\n{\n${code.trim()}\n}`);
  return [
    `// cutroom · version ${version.number} · ${quoted(version.prompt, 200)}`,
    '// Replay: cutroom render --input <clip> [--input <clip> …] --script this-file.js --out out.mp4',
    '// The clips, in upload order:',
    ...clips,
    '',
    steps.join('\n\n'),
    '',
  ].join('\n');
}
