/** @module The page's editing state: the composition, the loaded assets, and running code actions against them. */
import * as core from '@diffusionstudio/core';
import type { ActionFence } from './action-fence.ts';
import { codeAsset } from './asset-inspection.ts';
import { videoTrackOf } from './media-input.ts';
import type { AssetDescriptor, CodeActionResult, InspectedFields } from './protocol.ts';

export interface PageAsset {
  name: string;
  source: core.BaseSource;
  kind: AssetDescriptor['kind'];
  duration: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** Where the page fetched it from; lets the renderer hand audio back to ffmpeg by index. */
  url: string;
  inspected?: InspectedFields;
}

const AsyncFunction = (async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<unknown>;

// The function header Chromium adds to `new AsyncFunction` bodies, plus our own prologue line.
const PROLOGUE = 'let composition = __scope.composition;\ntry {\n';
const HEADER_LINES = 2;
const PROLOGUE_LINES = 2;
const MAX_LOG_LINES = 200;
const MAX_LOG_CHARS = 2000;

export interface WorkspaceEvents {
  onCompositionChanged(previous: core.Composition | undefined, next: core.Composition): void;
}

/** Compositions made through the code's `core.Composition`: real objects, never a proxy or a look-alike. */
const genuineCompositions = new WeakSet<object>();

/** Whether the render may hand this composition the licence key (see renderComposition). */
export function isGenuineComposition(composition: unknown): boolean {
  return typeof composition === 'object' && composition !== null && genuineCompositions.has(composition);
}

export class Workspace {
  composition: core.Composition;
  assets: PageAsset[] = [];
  /** Successful code actions, in order: replaying them on a fresh composition rebuilds the state. */
  readonly history: string[] = [];
  private readonly coreScope: typeof core;

  constructor(
    private readonly events: WorkspaceEvents,
    private readonly fence: ActionFence,
  ) {
    this.coreScope = this.makeCoreScope();
    this.composition = this.newComposition();
    events.onCompositionChanged(undefined, this.composition);
  }

  async loadAssets(descriptors: AssetDescriptor[]): Promise<void> {
    const loaded: PageAsset[] = [];
    for (const d of descriptors) {
      try {
        const blob = await fetchAsBlob(d.url, d.mimeType);
        const source = await core.Source.from<core.BaseSource>(blob, { name: d.name, mimeType: d.mimeType });
        // The file's index is read once, here, rather than by the first preview or render.
        if (source instanceof core.VideoSource) await videoTrackOf(source);
        loaded.push({ ...d, source });
      } catch (error) {
        throw new Error(
          `could not load asset "${d.name}": ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    this.assets.push(...loaded);
  }

  /** Runs one code action; on failure the composition is rebuilt from the history, so a failed action leaves no trace. */
  async runCode(code: string): Promise<CodeActionResult> {
    const logs: string[] = [];
    try {
      await this.execute(code, logs);
      this.history.push(code);
      return this.result(true, logs);
    } catch (error) {
      const failure = describeError(error);
      await this.rebuild();
      return { ...this.result(false, logs), error: failure };
    }
  }

  /** Runs a whole script on a fresh composition; stops at the first failing action. */
  async replay(script: string[]): Promise<CodeActionResult> {
    this.history.length = 0;
    this.setComposition(this.newComposition());
    const logs: string[] = [];
    for (const [index, code] of script.entries()) {
      try {
        await this.execute(code, logs);
        this.history.push(code);
      } catch (error) {
        const failure = describeError(error);
        return {
          ...this.result(false, logs),
          error: { ...failure, message: `replaying action ${index + 1}: ${failure.message}` },
        };
      }
    }
    return this.result(true, logs);
  }

  summary() {
    return {
      outline: this.composition.toString(),
      duration: this.composition.duration,
      width: this.composition.width,
      height: this.composition.height,
      clips: this.composition.clips.length,
    };
  }

  private async execute(code: string, logs: string[]): Promise<void> {
    const scope = { composition: this.composition };
    const body = `${PROLOGUE}${code}\n} finally { __scope.composition = composition; }\n//# sourceURL=code-action.js`;
    const fn = new AsyncFunction('core', 'assets', 'console', '__scope', body);
    const assets = Object.freeze(this.assets.map(codeAsset));
    let failure: unknown;
    try {
      await this.fence.run(() => fn(this.coreScope, assets, makeConsole(logs), scope));
    } catch (error) {
      failure = error;
    }
    // The action may have replaced the composition before it failed; keep what it left either way.
    if (scope.composition !== this.composition) {
      if (!(scope.composition instanceof core.Composition)) {
        failure ??= new TypeError('`composition` must be a core.Composition');
      } else {
        this.setComposition(scope.composition);
      }
    }
    if (failure !== undefined) throw failure;
  }

  private async rebuild(): Promise<void> {
    const script = [...this.history];
    const result = await this.replay(script);
    if (!result.ok) throw new Error(`rollback failed: ${result.error?.message}`);
  }

  private setComposition(next: core.Composition): void {
    const previous = this.composition;
    this.composition = next;
    if (previous !== next) this.events.onCompositionChanged(previous, next);
  }

  private newComposition(): core.Composition {
    return new this.coreScope.Composition({ width: 1280, height: 720 });
  }

  /**
   * The `core` the code sees: the real module, except that compositions are recorded as genuine when made. The
   * licence key is never in the page while code can run: the render applies it (see renderComposition).
   */
  private makeCoreScope(): typeof core {
    class Composition extends core.Composition {
      constructor(settings: ConstructorParameters<typeof core.Composition>[0] = {}) {
        super(settings);
        genuineCompositions.add(this);
      }
    }
    return Object.freeze({ ...core, Composition }) as typeof core;
  }

  private result(ok: boolean, logs: string[]): CodeActionResult {
    const { outline, duration } = this.summary();
    return { ok, logs, outline, duration };
  }
}

const FETCH_PART_BYTES = 8 * 1024 * 1024;

/**
 * Media is read many times in small ranges while decoding; each read through request interception is a round trip
 * to Node (and over the WebSocket for a remote browser). Fetching the file once, in large parts, is much faster.
 */
async function fetchAsBlob(url: string, mimeType: string): Promise<Blob> {
  const parts: Blob[] = [];
  let offset = 0;
  for (;;) {
    const response = await fetch(url, {
      headers: { Range: `bytes=${offset}-${offset + FETCH_PART_BYTES - 1}` },
    });
    if (response.status === 416) break;
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const part = await response.blob();
    parts.push(part);
    offset += part.size;
    const total = Number(response.headers.get('Content-Range')?.split('/')[1]);
    if (response.status === 200 || part.size === 0 || !(offset < total)) break;
  }
  return new Blob(parts, { type: mimeType });
}

function makeConsole(logs: string[]): Console {
  const record =
    (level: string) =>
    (...args: unknown[]) => {
      if (logs.length >= MAX_LOG_LINES) return;
      const line = args.map(formatValue).join(' ').slice(0, MAX_LOG_CHARS);
      logs.push(level === 'log' ? line : `[${level}] ${line}`);
      if (logs.length === MAX_LOG_LINES) logs.push(`[log truncated after ${MAX_LOG_LINES} lines]`);
    };
  return {
    ...console,
    log: record('log'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
  };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof core.Composition) return value.toString();
  try {
    return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? String(v) : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeError(error: unknown): { name: string; message: string; line?: number } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const match = /code-action\.js:(\d+):\d+/.exec(error.stack ?? '');
  const line = match ? Number(match[1]) - HEADER_LINES - PROLOGUE_LINES : undefined;
  return {
    name: error.name,
    message: error.message,
    line: line !== undefined && line > 0 ? line : undefined,
  };
}
