/** @module Deliveries printed to the terminal: what `cutroom edit` shows where a chat thread would show a post. */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Delivery } from '../deliveries/types.ts';
import type { ArtifactStore } from '../queue/artifact-store.ts';

export interface TerminalDeliveriesOptions {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  artifacts: Pick<ArtifactStore, 'pathFor'>;
  /** Where the result's MP4 is copied. */
  outFile: string;
  /** Where preview sheets are copied; unset leaves them in the state directory. */
  previewsDir?: string;
}

/**
 * Takes the deliveries of a job the way a bot's queue does (`enqueue`), and prints them: progress
 * with the time since the start, previews and the result copied where asked, failures on stderr.
 */
export class TerminalDeliveries {
  /** Set once an error was delivered: the command exits non-zero. */
  failed = false;
  private readonly startedAt = Date.now();
  private previews = 0;

  constructor(private readonly options: TerminalDeliveriesOptions) {}

  async enqueue(delivery: Delivery): Promise<void> {
    switch (delivery.kind) {
      case 'status': {
        // Every percent is too chatty for a terminal log: tens of a render, quarters of a conversion.
        const step = delivery.stage === 'converting' ? 25 : delivery.stage === 'rendering' ? 10 : 1;
        if (delivery.percent !== undefined && Math.floor(delivery.percent) % step !== 0) return;
        // A conversion's text names the clip; the stage says what happens to it.
        const text =
          delivery.stage === 'converting'
            ? `Converting ${delivery.text}… ${Math.floor(delivery.percent ?? 0)}%`
            : delivery.text;
        this.say(`${this.clock()} ${text}`);
        return;
      }
      case 'preview':
        this.say(`${this.clock()} ${delivery.text} → ${await this.keepPreview(delivery.file.key)}`);
        return;
      case 'result': {
        const target = path.resolve(this.options.outFile);
        await mkdir(path.dirname(target), { recursive: true });
        await copyFile(this.options.artifacts.pathFor(delivery.file.key), target);
        if (delivery.text) this.say(delivery.text);
        this.say(`MP4: ${target} (version ${delivery.version}, ${delivery.durationSeconds.toFixed(1)} s)`);
        return;
      }
      case 'error':
        this.failed = true;
        this.options.err.write(`${delivery.code === 'cancelled' ? '' : '⚠️ '}${delivery.text}\n`);
        return;
      case 'message':
        this.say(delivery.text);
        return;
      case 'reply':
        this.say(delivery.text);
        if (delivery.question) this.say('Answer with: cutroom edit --continue --prompt "…"');
        return;
    }
  }

  /** The line saying where the preview sheets went, when any were copied. */
  previewsLine(): string | undefined {
    return this.options.previewsDir && this.previews > 0
      ? `Preview sheets: ${path.resolve(this.options.previewsDir)}`
      : undefined;
  }

  private async keepPreview(key: string): Promise<string> {
    const source = this.options.artifacts.pathFor(key);
    if (!this.options.previewsDir) return source;
    await mkdir(this.options.previewsDir, { recursive: true });
    const target = path.join(path.resolve(this.options.previewsDir), `preview-${++this.previews}.jpg`);
    await copyFile(source, target);
    return target;
  }

  private say(line: string): void {
    this.options.out.write(`${line}\n`);
  }

  private clock(): string {
    return `[${((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(5)} s]`;
  }
}
