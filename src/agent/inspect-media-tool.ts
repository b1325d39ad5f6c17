/**
 * @module The inspect_media tool in the agent loop: checks the arguments, inspects the asset (cached by content),
 * hands the results to the page as `assets[i].shots/silences/transcript`, asks the vision model a question about
 * the source when there is one, and words the result for the model. Problems come back as text for the model,
 * never as a failed job; only cancellation and LLM outages propagate, as for visual_feedback.
 */
import type { EditSession, LoadableAsset } from '../browser/types.ts';
import { CutroomError, ErrorCode, isAbortError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ToolArguments } from './agent-tools.ts';
import { inspectedFields, type MediaInspector, withInspectionsFor } from './inspect-media.ts';
import { askAboutSource, type SourceAnswer } from './inspect-media-question.ts';
import { formatInspectionReport } from './inspect-media-report.ts';
import type { LlmClient, LlmUsage } from './llm-client.ts';

export interface InspectMediaToolOptions {
  inspector: MediaInspector;
  /** The assets in page order (what `asset` indexes). */
  assets: LoadableAsset[];
  llm: LlmClient;
  logger: Logger;
}

export interface InspectMediaOutcome {
  /** The tool result for the model. */
  text: string;
  /** Set when the vision model was asked. */
  usage?: LlmUsage;
}

export class InspectMediaTool {
  private readonly assets: LoadableAsset[];

  constructor(private readonly options: InspectMediaToolOptions) {
    this.assets = [...options.assets];
  }

  /**
   * The assets to load into a page: with what inspect_media found so far in this run, and when the script about to
   * be replayed reads inspected fields, with those of every asset (from the cache, or measured again), so the
   * replay sees what the script was written against.
   */
  async assetsFor(
    script: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<LoadableAsset[]> {
    const assets = await withInspectionsFor(script, this.assets, { ...this.options, signal: options.signal });
    this.assets.splice(0, assets.length, ...assets);
    return [...this.assets];
  }

  /**
   * Runs one inspect_media call. Without a session (none opened yet) the fields reach the page when one opens,
   * through {@link assetsFor}.
   */
  async run(
    args: ToolArguments<'inspect_media'>,
    context: { session?: EditSession; signal?: AbortSignal },
  ): Promise<InspectMediaOutcome> {
    const asset = this.assets[args.asset];
    if (!asset) {
      return {
        text: `error: there is no assets[${args.asset}]; the assets are ${this.assets.map((a, i) => `${i} "${a.name}"`).join(', ') || 'none'}`,
      };
    }
    const range = questionRange(args, asset.duration);
    if (typeof range === 'string') return { text: `error: ${range}` };
    try {
      const inspection = await this.options.inspector.inspect(asset, { signal: context.signal });
      const fields = inspectedFields(inspection);
      this.assets[args.asset] = { ...asset, inspected: fields };
      await context.session?.setInspection(args.asset, fields, { signal: context.signal });
      let answer: SourceAnswer | undefined;
      if (args.question && asset.kind !== 'audio') {
        answer = await askAboutSource(
          this.options.llm,
          { asset, index: args.asset, question: args.question, from: range[0], to: range[1] },
          { signal: context.signal },
        );
      }
      const text = formatInspectionReport({ index: args.asset, asset, inspection, answer });
      const noPicture =
        args.question && asset.kind === 'audio'
          ? '\nThe question was not asked: this asset is sound only, there are no frames to look at.'
          : '';
      return { text: `${text}${noPicture}`, usage: answer?.usage };
    } catch (error) {
      if (context.signal?.aborted || isAbortError(error)) throw error;
      if (
        error instanceof CutroomError &&
        (error.code === ErrorCode.FfmpegFailed || error.code === ErrorCode.LlmBadResponse)
      ) {
        this.options.logger.warn({ err: error, asset: asset.name }, 'inspect_media failed');
        return { text: `error: inspect_media could not read assets[${args.asset}]: ${error.message}` };
      }
      throw error;
    }
  }
}

/** [from, to] for a question, within the asset; or what is wrong with the arguments. */
function questionRange(args: ToolArguments<'inspect_media'>, duration: number): [number, number] | string {
  const from = args.from ?? 0;
  const to = Math.min(args.to ?? duration, duration);
  if (from >= duration && duration > 0)
    return `from (${from} s) is past the end of the asset (${duration} s)`;
  if (to <= from && duration > 0) return `to (${args.to} s) must be after from (${from} s)`;
  return [from, to];
}
