// Frames of a source file on one contact sheet, made by real ffmpeg from a clip whose colour changes every second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVideoPackets, type VideoPacket } from '../../../src/media/read-video-packets.ts';
import { sourceContactSheet } from '../../../src/media/source-contact-sheet.ts';
import { withTempFile } from '../../helpers/analysis-fixtures.ts';
import { averageColour, MediaFixtures, nearestColour } from '../../helpers/media-fixtures.ts';

describe('sourceContactSheet', () => {
  let media: MediaFixtures;
  let clip: string;
  let packets: VideoPacket[];

  beforeAll(async () => {
    media = await MediaFixtures.create();
    clip = await media.colourClip('colours.mp4', { seconds: 4, width: 320, height: 180, gop: 60 });
    ({ packets } = await readVideoPackets(clip));
  });

  afterAll(async () => {
    await media?.close();
  });

  it('shows at each time the frame on screen then, to the frame, in order, in one JPEG grid', async () => {
    // Either side of each change of colour: 0.99 s is still second 0, 1.0 s is already second 1.
    const times = [0.99, 1, 1.99, 2, 3.5];

    const sheet = await sourceContactSheet(clip, { times, packets, columns: 3 });

    expect(sheet.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const colours = await withTempFile(sheet, 'sheet.jpg', async (file) => {
      const cells: number[] = [];
      for (const [i] of times.entries()) {
        // Cells are 384x216 after a 4 px margin, 4 px apart; sample above the time label.
        const x = 4 + (i % 3) * 388 + 150;
        const y = 4 + Math.floor(i / 3) * 220 + 30;
        cells.push(nearestColour(await averageColour(file, { x, y, width: 100, height: 100 })));
      }
      return cells;
    });
    expect(colours).toEqual([0, 1, 1, 2, 3]);
  });

  it('rejects a time list with nothing in it', async () => {
    await expect(sourceContactSheet(clip, { times: [], packets })).rejects.toThrow(/no times/);
  });
});
