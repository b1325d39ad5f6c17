/** @module The operator page: exposes the code-action API to the page driver and shows a live player for humans. */
import type * as core from '@diffusionstudio/core';
import { ActionFence } from './action-fence.ts';
import { setInspection } from './asset-inspection.ts';
import { codecSupport } from './codec-support.ts';
import { audioSegments, cancelActiveRender, renderComposition } from './composition-renderer.ts';
import { sampleFrames } from './frame-sampler.ts';
import { lockDownPage } from './page-lockdown.ts';
import type { OperatorApi } from './protocol.ts';
import { installSequentialDecoders } from './sequential-decoder.ts';
import { Workspace } from './workspace.ts';

installSequentialDecoders();
// Before any code action can run: the fence replaces the timer functions, then the lockdown freezes everything.
const fence = new ActionFence();
lockDownPage();

const player = document.getElementById('player') as HTMLElement;
const outline = document.getElementById('outline') as HTMLElement;
const log = document.getElementById('log') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;

function show(composition: core.Composition, lines: string[] = []): void {
  outline.textContent = composition.toString();
  if (lines.length > 0) log.textContent = `${log.textContent ?? ''}${lines.join('\n')}\n`.slice(-20_000);
}

/**
 * A composition's player keeps an AudioContext running from the start, about 0.17 CPU-seconds per render on the
 * reference machine with nobody listening. It stays suspended until someone presses play (core resumes it then).
 */
function silence(composition: core.Composition): void {
  const context = composition.renderer.audioCtx;
  if (context instanceof AudioContext) void context.suspend().catch(() => {});
}

const workspace = new Workspace(
  {
    onCompositionChanged(previous, next) {
      if (previous) {
        previous.unmount();
        silence(previous);
      }
      next.mount(player);
      silence(next);
      show(next);
    },
  },
  fence,
);

// Only one page-side operation at a time: the driver never overlaps them, but a stray call must not interleave.
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(label: string, work: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    status.textContent = label;
    try {
      return await work();
    } finally {
      status.textContent = 'idle';
      show(workspace.composition);
    }
  });
  queue = run.catch(() => {});
  return run;
}

const api: OperatorApi = {
  loadAssets: (assets) => exclusive('loading assets', () => workspace.loadAssets(assets)),
  runCode: (code) =>
    exclusive('running code', async () => {
      const result = await workspace.runCode(code);
      show(workspace.composition, result.logs);
      return result;
    }),
  replay: (script) => exclusive('replaying', () => workspace.replay(script)),
  sample: (request) => exclusive('sampling', () => sampleFrames(workspace.composition, request)),
  audioPlan: () => ({ segments: audioSegments(workspace.composition, workspace.assets) }),
  render: ({ licenseKey, ...request }) =>
    exclusive('rendering', () => renderComposition(workspace.composition, request, licenseKey)),
  cancelRender: () => cancelActiveRender(),
  codecSupport: (probes) => codecSupport(probes),
  summary: () => workspace.summary(),
  setInspection: (request) => setInspection(workspace.assets, request),
};

Object.defineProperty(window, '__cutroom', {
  value: Object.freeze(api),
  configurable: false,
  writable: false,
});
status.textContent = 'idle';
