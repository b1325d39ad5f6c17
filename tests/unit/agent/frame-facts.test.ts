import { encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { colourName, describeFrameFacts, frameFacts } from '../../../src/agent/frame-facts.ts';

/** A JPEG frame filled by `paint(x, y)` → [r, g, b]. */
function frame(time: number, paint: (x: number, y: number) => [number, number, number]) {
  const width = 96;
  const height = 54;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      [data[i], data[i + 1], data[i + 2]] = paint(x, y);
      data[i + 3] = 255;
    }
  }
  return { time, jpeg: encode({ width, height, data }, 90).data };
}

describe('frame facts', () => {
  it('names colours plainly', () => {
    expect(colourName(250, 10, 10)).toBe('red');
    expect(colourName(10, 10, 240)).toBe('blue');
    expect(colourName(5, 5, 5)).toBe('black');
    expect(colourName(250, 250, 250)).toBe('white');
    expect(colourName(120, 0, 0)).toBe('dark red');
  });

  it('measures brightness, the 3x3 colours, fine detail and the change between frames', () => {
    const red = frame(0, () => [230, 20, 20]);
    // Blue, with black-and-white stripes in the centre cell as text would make.
    const blue = frame(1, (x, y) =>
      x >= 32 && x < 64 && y >= 18 && y < 36 ? (x % 2 === 0 ? [255, 255, 255] : [0, 0, 0]) : [20, 20, 230],
    );
    const black = frame(2, () => [0, 0, 0]);

    const [first, second, third] = frameFacts([red, blue, black]);

    expect(first.colours).toEqual(new Array(9).fill('red'));
    expect(first.changed).toBe(0);
    expect(second.colours[0]).toBe('blue');
    expect(second.detail).toEqual(['centre']);
    expect(second.changed).toBeGreaterThan(90);
    expect(third.brightness).toBeLessThan(3);
    expect(describeFrameFacts([first])).toBe(
      `t=0s: brightness ${first.brightness}%; colours red, red, red / red, red, red / red, red, red; 0% changed from the previous frame`,
    );
  });
});
