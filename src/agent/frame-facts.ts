/**
 * @module What can be measured in sampled frames without a vision model: brightness, the colour of each cell of a
 * 3x3 grid, cells with fine detail (text or sharp edges), and how much changed since the previous frame. The visual
 * check falls back to these when the vision model cannot take images.
 */
import { decode } from 'jpeg-js';
import type { SampledFrame } from '../browser/types.ts';

export interface FrameFacts {
  time: number;
  /** Mean luma, 0–100. */
  brightness: number;
  /** Colour names of the 3x3 grid, row by row from the top left. */
  colours: string[];
  /** Grid cells (by name) with much more fine detail than the frame's median: text, edges. */
  detail: string[];
  /** Share of the picture that changed from the previous frame, 0–100; 0 for the first. */
  changed: number;
}

const GRID = 3;
const CELL_NAMES = [
  'top left',
  'top',
  'top right',
  'left',
  'centre',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
];
/** Luma steps above this between neighbouring pixels count as an edge. */
const EDGE_STEP = 40;
/** A cell counts as detailed from this share of edge pixels: a text line, not one border or a soft gradient. */
const MIN_EDGE_DENSITY = 0.04;
/** Frames are compared on a coarse grid of this many cells a side, so noise and compression do not count. */
const CHANGE_GRID = 16;
const CHANGE_STEP = 24;

/** Measures each frame; frames are decoded in turn, so memory stays at one frame. */
export function frameFacts(frames: SampledFrame[]): FrameFacts[] {
  const facts: FrameFacts[] = [];
  let previous: number[] | undefined;
  for (const frame of frames) {
    const image = decode(frame.jpeg, { useTArray: true, formatAsRGBA: true });
    const measured = measure(image.data, image.width, image.height);
    const changed = previous
      ? Math.round(
          (100 * measured.coarse.filter((v, i) => Math.abs(v - (previous?.[i] ?? v)) > CHANGE_STEP).length) /
            measured.coarse.length,
        )
      : 0;
    previous = measured.coarse;
    facts.push({
      time: frame.time,
      brightness: measured.brightness,
      colours: measured.colours,
      detail: measured.detail,
      changed,
    });
  }
  return facts;
}

/** One line per frame, for a text-only model. */
export function describeFrameFacts(facts: FrameFacts[]): string {
  return facts
    .map((f) => {
      const rows = [0, 1, 2].map((r) => f.colours.slice(r * GRID, r * GRID + GRID).join(', ')).join(' / ');
      const detail = f.detail.length > 0 ? `; fine detail (text or edges) at ${f.detail.join(', ')}` : '';
      return `t=${Math.round(f.time * 100) / 100}s: brightness ${f.brightness}%; colours ${rows}${detail}; ${f.changed}% changed from the previous frame`;
    })
    .join('\n');
}

interface Measured {
  brightness: number;
  colours: string[];
  detail: string[];
  coarse: number[];
}

function measure(rgba: Uint8Array, width: number, height: number): Measured {
  const cells = Array.from({ length: GRID * GRID }, () => ({ r: 0, g: 0, b: 0, n: 0, edges: 0 }));
  const coarse = new Array<number>(CHANGE_GRID * CHANGE_GRID).fill(0);
  const coarseCount = new Array<number>(CHANGE_GRID * CHANGE_GRID).fill(0);
  let lumaSum = 0;
  for (let y = 0; y < height; y++) {
    const cy = Math.min(GRID - 1, Math.floor((y * GRID) / height));
    const gy = Math.min(CHANGE_GRID - 1, Math.floor((y * CHANGE_GRID) / height));
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const luma = luminance(rgba, i);
      lumaSum += luma;
      const cell = cells[cy * GRID + Math.min(GRID - 1, Math.floor((x * GRID) / width))];
      cell.r += rgba[i];
      cell.g += rgba[i + 1];
      cell.b += rgba[i + 2];
      cell.n += 1;
      if (x + 1 < width && Math.abs(luma - luminance(rgba, i + 4)) > EDGE_STEP) cell.edges += 1;
      const g = gy * CHANGE_GRID + Math.min(CHANGE_GRID - 1, Math.floor((x * CHANGE_GRID) / width));
      coarse[g] += luma;
      coarseCount[g] += 1;
    }
  }
  const density = cells.map((c) => c.edges / Math.max(1, c.n));
  const median = [...density].sort((a, b) => a - b)[Math.floor(density.length / 2)];
  return {
    brightness: Math.round((100 * lumaSum) / Math.max(1, width * height) / 255),
    colours: cells.map((c) => colourName(c.r / c.n, c.g / c.n, c.b / c.n)),
    detail: CELL_NAMES.filter((_, i) => density[i] > MIN_EDGE_DENSITY && density[i] > 2 * median),
    coarse: coarse.map((sum, i) => sum / Math.max(1, coarseCount[i])),
  };
}

function luminance(rgba: Uint8Array, i: number): number {
  return 0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2];
}

/** A plain colour word for an average colour: greys by lightness, others by hue, with dark/light where it shows. */
export function colourName(r: number, g: number, b: number): string {
  const max = Math.max(r, g, b) / 255;
  const min = Math.min(r, g, b) / 255;
  const lightness = (max + min) / 2;
  const saturation = max === min ? 0 : (max - min) / (1 - Math.abs(2 * lightness - 1));
  if (saturation < 0.2 || max - min < 0.08) {
    if (lightness < 0.12) return 'black';
    if (lightness < 0.4) return 'dark grey';
    if (lightness < 0.75) return 'grey';
    return 'white';
  }
  const hue = hueDegrees(r, g, b);
  const name =
    hue < 15 || hue >= 345
      ? 'red'
      : hue < 45
        ? 'orange'
        : hue < 70
          ? 'yellow'
          : hue < 165
            ? 'green'
            : hue < 195
              ? 'cyan'
              : hue < 255
                ? 'blue'
                : hue < 290
                  ? 'purple'
                  : 'pink';
  if (lightness < 0.3) return `dark ${name}`;
  if (lightness > 0.8) return `light ${name}`;
  return name;
}

function hueDegrees(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const delta = max - Math.min(r, g, b);
  if (delta === 0) return 0;
  const hue = max === r ? ((g - b) / delta) % 6 : max === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
  return (hue * 60 + 360) % 360;
}
