/**
 * @module What code actions see of an asset: its metadata, and once inspect_media ran on it, `shots`, `silences` and
 * `transcript`. Before that, reading one of them throws an error that says what to do, instead of handing the
 * model an `undefined` to trip over later.
 */
import type { InspectedFields } from './protocol.ts';
import type { PageAsset } from './workspace.ts';

type CodeAsset = Omit<PageAsset, 'url' | 'inspected'> & Partial<InspectedFields>;

/** A frozen copy of the asset for one code action; inspected arrays are frozen too. */
export function codeAsset(asset: PageAsset, index: number): Readonly<CodeAsset> {
  const { url: _url, inspected, ...rest } = asset;
  const view: CodeAsset = { ...rest };
  for (const field of ['shots', 'silences', 'transcript'] as const) {
    const value = inspected?.[field];
    if (value !== undefined) {
      view[field] = deepFreeze(structuredClone(value)) as never;
      continue;
    }
    // Not enumerable: logging or spreading an asset must not throw.
    Object.defineProperty(view, field, {
      enumerable: false,
      get() {
        throw new Error(missingMessage(field, index, inspected !== undefined));
      },
    });
  }
  return Object.freeze(view);
}

/** Stores what inspect_media found for one asset; later code actions (and replays) see it. */
export function setInspection(
  assets: PageAsset[],
  request: { asset: number; fields: InspectedFields },
): void {
  const asset = assets[request.asset];
  if (!asset) throw new Error(`setInspection: no asset ${request.asset} (there are ${assets.length})`);
  asset.inspected = request.fields;
}

function missingMessage(field: keyof InspectedFields, index: number, inspected: boolean): string {
  if (field === 'transcript' && inspected) {
    return `assets[${index}].transcript is not available: transcription is off or failed for this clip (inspect_media said why)`;
  }
  return `assets[${index}].${field} is not available yet: call the inspect_media tool with { "asset": ${index} } first`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
