/** @module The visual verdict: the JSON shape the vision model answers in, and its tolerant parser. */
import { z } from 'zod';
import { CutroomError, ErrorCode } from '../errors.ts';

export const VERDICT_ISSUE_TYPES = [
  'text_positioning',
  'animation',
  'trimming',
  'positioning_scaling',
  'visual_artifact',
  'other',
] as const;

export const VerdictIssueSchema = z.object({
  // Models invent near-miss categories; the description still matters, so keep the issue as 'other'.
  type: z.enum(VERDICT_ISSUE_TYPES).catch('other'),
  at: z.number().nullable().catch(null).default(null),
  description: z.string().catch(''),
});

export const VerdictSchema = z.object({
  verdict: z.enum(['approve', 'revise']),
  issues: z.array(VerdictIssueSchema).catch([]).default([]),
});

export type Verdict = z.infer<typeof VerdictSchema>;
export type VerdictIssue = z.infer<typeof VerdictIssueSchema>;

/** The verdict schema as JSON Schema text, for the vision model's instructions. */
export const VERDICT_JSON_SHAPE = `{ "verdict": "approve" | "revise", "issues": [ { "type": ${VERDICT_ISSUE_TYPES.map((t) => `"${t}"`).join(' | ')}, "at": <seconds or null>, "description": "…" } ] }`;

/**
 * Reads a verdict from a model's answer: plain JSON, JSON in a code fence, or JSON inside prose.
 * @throws CutroomError llm_bad_response when no valid verdict is found
 */
export function parseVerdict(text: string): Verdict {
  for (const candidate of jsonCandidates(text)) {
    let data: unknown;
    try {
      data = JSON.parse(candidate);
    } catch {
      continue;
    }
    const parsed = VerdictSchema.safeParse(data);
    if (parsed.success) return parsed.data;
  }
  throw new CutroomError(
    ErrorCode.LlmBadResponse,
    `verdict: the vision model's answer is not a verdict of shape ${VERDICT_JSON_SHAPE}: ${text.slice(0, 200)}`,
    { userMessage: 'The visual check gave an unreadable answer.' },
  );
}

function* jsonCandidates(text: string): Generator<string> {
  const trimmed = text.trim();
  yield trimmed;
  for (const match of trimmed.matchAll(/```(?:json)?\s*([\s\S]*?)```/g)) yield match[1];
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first !== -1 && last > first) yield trimmed.slice(first, last + 1);
}

/** One line for a chat thread: "approved" or the issues in brief. */
export function describeVerdict(verdict: Verdict): string {
  if (verdict.verdict === 'approve') return 'Visual check: approved.';
  const issues = verdict.issues
    .map((i) => (i.at === null ? i.description : `${i.description} (at ${i.at} s)`))
    .filter(Boolean);
  return `Visual check: needs changes${issues.length ? ` — ${issues.join('; ')}` : ''}.`;
}
