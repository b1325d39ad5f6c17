/**
 * @module inspect_media's answer to the model: a short text that fits the tool-result budget. The long lists stay
 * whole in `assets[i]` for code; the text shows them, cut to a readable length.
 */
import type { LoadableAsset } from '../browser/types.ts';
import type { AssetInspection } from './inspect-media.ts';
import type { SourceAnswer } from './inspect-media-question.ts';

export interface InspectionReportInput {
  index: number;
  asset: Pick<LoadableAsset, 'name' | 'kind' | 'duration' | 'width' | 'height' | 'hasAudio'>;
  inspection: AssetInspection;
  /** Set when a question was asked. */
  answer?: Pick<SourceAnswer, 'answer' | 'times'>;
}

const MAX_LISTED = 40;
const MAX_TRANSCRIPT_CHARS = 2500;
/** A pause this long, or a sentence end, starts a new transcript line. */
const LINE_PAUSE_SECONDS = 0.6;
const LINE_WORDS = 14;

export function formatInspectionReport(input: InspectionReportInput): string {
  const { index, asset, inspection, answer } = input;
  const { analysis } = inspection;
  const ref = `assets[${index}]`;
  const lines: string[] = [];
  if (answer) {
    const times = answer.times;
    lines.push(
      `Answer (from ${times.length} frame(s) of the source, ${times[0]}–${times.at(-1)} s): ${answer.answer}`,
      '',
    );
  }
  const parts = [`${ref} "${asset.name}": ${asset.kind}`];
  if (asset.kind !== 'audio') parts.push(`${asset.width}x${asset.height}`);
  if (analysis.fps) parts.push(`${analysis.fps} fps`);
  if (asset.kind !== 'image') parts.push(`${seconds(asset.duration)} s`);
  if (asset.kind === 'video') parts.push(asset.hasAudio ? 'with sound' : 'no sound');
  lines.push(`${parts.join(', ')}. All times are source seconds.`);

  if (asset.kind === 'video') {
    const shots = analysis.shots;
    lines.push(
      shots.length === 0
        ? `Shot changes: none (one continuous shot). ${ref}.shots is [].`
        : `Shot changes (${shots.length}), each the first frame of a new shot: ${list(shots.map(seconds))} s. In code: ${ref}.shots.`,
    );
  }
  if (asset.hasAudio && asset.kind !== 'image') {
    const silences = analysis.silences;
    const total = silences.reduce((sum, [s, e]) => sum + (e - s), 0);
    const rule = `quieter than ${analysis.silenceThresholdDb} dBFS for 0.3 s or more`;
    lines.push(
      silences.length === 0
        ? `Silences: none (${rule}). ${ref}.silences is [].`
        : `Silences (${silences.length}, ${seconds(total)} s in all; ${rule}): ${list(silences.map(([s, e]) => `${seconds(s)}–${seconds(e)}`))} s. In code: ${ref}.silences, [start, end] pairs.`,
    );
    if (analysis.loudness) {
      lines.push(
        `Loudness, dBFS per ${analysis.loudness.stepSeconds} s: ${analysis.loudness.db.map((d) => Math.round(d)).join(' ')}`,
      );
    }
  }
  lines.push(...transcriptLines(input));
  return lines.join('\n');
}

function transcriptLines({ index, inspection }: InspectionReportInput): string[] {
  const ref = `assets[${index}]`;
  const { transcript, transcriptMissing } = inspection;
  if (!transcript) {
    switch (transcriptMissing?.reason) {
      case 'no_sound':
        return [];
      case 'failed':
        return [
          `Transcript: failed (${transcriptMissing.detail ?? 'unknown reason'}). Everything above is still valid; ${ref}.transcript is not available. Tell the user if the request needs the words.`,
        ];
      default:
        return [
          `Transcript: off. No speech-to-text model is configured (CUTROOM_TRANSCRIBE_MODEL), so the spoken words and their times are not available and ${ref}.transcript is missing. If the request needs them (captions from speech, cutting by what is said), say so plainly.`,
        ];
    }
  }
  const { words } = transcript;
  const how =
    transcript.wordTimes === 'segments'
      ? '; the server gave only sentence times, so word times are estimates'
      : '';
  const header = `Transcript (${transcript.model}${transcript.language ? `, ${transcript.language}` : ''}, ${words.length} words${how}). In code: ${ref}.transcript, words { text, start, end }.`;
  if (words.length === 0) return [`${header} No speech was recognised.`];
  const out = [header];
  let used = 0;
  let shown = 0;
  for (const line of groupLines(words)) {
    const text = `  [${seconds(line[0].start)}–${seconds(line[line.length - 1].end)}] ${line.map((w) => w.text).join(' ')}`;
    if (used + text.length > MAX_TRANSCRIPT_CHARS) break;
    out.push(text);
    used += text.length;
    shown += line.length;
  }
  if (shown < words.length) out.push(`  … ${words.length - shown} more words in ${ref}.transcript`);
  return out;
}

function groupLines<T extends { text: string; start: number; end: number }>(words: T[]): T[][] {
  const lines: T[][] = [];
  let current: T[] = [];
  for (const word of words) {
    const previous = current.at(-1);
    const breakHere =
      previous &&
      (word.start - previous.end >= LINE_PAUSE_SECONDS ||
        /[.!?…]$/.test(previous.text) ||
        current.length >= LINE_WORDS);
    if (breakHere) {
      lines.push(current);
      current = [];
    }
    current.push(word);
  }
  if (current.length > 0) lines.push(current);
  return lines;
}

function list(items: string[]): string {
  if (items.length <= MAX_LISTED) return items.join(', ');
  return `${items.slice(0, MAX_LISTED).join(', ')} … and ${items.length - MAX_LISTED} more`;
}

function seconds(value: number): string {
  return String(Math.round(value * 100) / 100);
}
