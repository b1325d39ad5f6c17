/** @module What an eval task is: clips, one or more requests, a machine check of the result, and a reference answer. */
import type { EditOutcome } from '../agent/run-edit.ts';
import type { EvalFixtures, FixtureName } from './eval-fixtures.ts';
import { brightness, frameAt, meanColour, near, type Region } from './media-measure.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was measured. */
  detail: string;
}

/**
 * The answer the scripted model gives for one request: inspect these assets (by index), run these code actions, check
 * and render; or reply with this text and change nothing.
 */
export type OracleTurn = { inspect?: number[]; code: string[] } | { reply: string };

export interface EvalTask {
  /** Short and unique: `--only` takes it. */
  name: string;
  /** The request in brief, for `--list`. */
  summary: string;
  fixtures: FixtureName[];
  /** The requests in order; each after the first continues from the version the one before made. */
  prompts: string[];
  /** Runs only with speech to text configured; skipped otherwise. */
  needs?: 'transcription';
  /** Whether a render is the right end, or a polite refusal without one. */
  expects: 'render' | 'refusal';
  /** The reference answer per request, played by the scripted model in CI: it tests the harness, not a model. */
  oracle: OracleTurn[];
  /** Measures the last request's result. Called only when `expects` was met. */
  check(outcome: EditOutcome, fixtures: EvalFixtures): Promise<CheckResult[]>;
}

export function checked(name: string, ok: boolean, detail: string): CheckResult {
  return { name, ok, detail };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The render's length against an expected one. */
export function durationNear(outcome: EditOutcome, expected: number, tolerance: number): CheckResult {
  const seconds = outcome.durationSeconds ?? 0;
  return checked(
    'duration',
    Math.abs(seconds - expected) <= tolerance,
    `${round(seconds)} s (want ${expected} ± ${tolerance})`,
  );
}

/** The mean colour of a region at a time is near a target. */
export async function colourAt(
  file: string,
  seconds: number,
  region: Region,
  target: [number, number, number],
  what: string,
): Promise<CheckResult> {
  const colour = meanColour(await frameAt(file, seconds), region);
  return checked(
    `${what} at ${seconds} s`,
    near(colour, target),
    `mean colour ${colour.map(Math.round).join(',')}`,
  );
}

/** A region of the frame at a time is dark (faded to black) or bright. */
export async function brightnessAt(
  file: string,
  seconds: number,
  region: Region,
  want: 'dark' | 'bright',
): Promise<CheckResult> {
  const luma = brightness(await frameAt(file, seconds), region);
  const ok = want === 'dark' ? luma < 45 : luma > 60;
  return checked(`${want} at ${seconds} s`, ok, `mean luma ${Math.round(luma)}`);
}
