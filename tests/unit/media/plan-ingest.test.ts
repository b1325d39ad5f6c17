import { describe, expect, it } from 'vitest';
import type { CodecProbe } from '../../../operator-ui/src/protocol.ts';
import { planIngest } from '../../../src/media/plan-ingest.ts';
import type { MediaInfo } from '../../../src/media/probe-media.ts';
import type { PageView } from '../../../src/media/read-page-view.ts';

function video(fields: Partial<MediaInfo> = {}): MediaInfo {
  return {
    kind: 'video',
    duration: 3,
    width: 1920,
    height: 1080,
    codedWidth: 1920,
    codedHeight: 1080,
    hasAudio: true,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    mimeType: 'video/mp4',
    videoCodec: 'h264',
    audioCodec: 'aac',
    size: 1000,
    rotation: 0,
    pixelFormat: 'yuv420p',
    bitDepth: 8,
    profile: 'High',
    hdr: undefined,
    frameRate: 30,
    variableFrameRate: false,
    startSeconds: 0,
    tracks: [],
    ...fields,
  };
}

const probe = (kind: 'video' | 'audio', codec: string): CodecProbe => ({ name: kind, kind, codec });
const VIEW: PageView = {
  readable: true,
  video: probe('video', 'avc1.64001f'),
  audio: probe('audio', 'mp4a.40.2'),
};

/** A page that answers from a table, recording what it was asked. */
function page(decodable: string[] = []) {
  const asked: string[] = [];
  return {
    asked,
    decodes: async (probes: CodecProbe[]) => {
      asked.push(...probes.map((p) => p.codec));
      return probes.map((p) => decodable.includes(p.codec));
    },
  };
}

describe('planIngest', () => {
  it('takes 8-bit 4:2:0 H.264 with AAC without asking the page', async () => {
    const p = page();
    expect(await planIngest(video(), VIEW, p.decodes)).toEqual({ action: 'keep' });
    expect(p.asked).toEqual([]);
  });

  it('asks about VP9 and takes it when the page decodes it', async () => {
    const p = page(['vp09.00.31.08', 'opus']);
    const view = { readable: true, video: probe('video', 'vp09.00.31.08'), audio: probe('audio', 'opus') };
    const info = video({ videoCodec: 'vp9', audioCodec: 'opus', formatName: 'matroska,webm' });
    expect(await planIngest(info, view, p.decodes)).toEqual({ action: 'keep' });
    expect(p.asked).toEqual(['vp09.00.31.08', 'opus']);
  });

  it('converts HEVC the page cannot decode, naming the phone in the status label', async () => {
    const view = { ...VIEW, video: probe('video', 'hvc1.1.6.L120.90') };
    const plan = await planIngest(video({ videoCodec: 'hevc', device: 'iPhone' }), view, page().decodes);
    expect(plan).toEqual({
      action: 'convert',
      reasons: ['HEVC video this browser cannot decode'],
      copyVideo: false,
      label: 'iPhone HEVC clip',
    });
  });

  it('converts a rotated, 10-bit HDR clip without asking, whatever the page decodes', async () => {
    const p = page(['hvc1.2.4.L150.b0']);
    const info = video({
      videoCodec: 'hevc',
      rotation: 90,
      bitDepth: 10,
      hdr: 'hlg',
      width: 1080,
      height: 1920,
    });
    const plan = await planIngest(info, { ...VIEW, video: probe('video', 'hvc1.2.4.L150.b0') }, p.decodes);
    expect(plan).toMatchObject({ action: 'convert', reasons: ['rotated 90°', 'HDR (HLG)', '10-bit colour'] });
    expect(p.asked).toEqual([]);
  });

  it('converts a container the page cannot open', async () => {
    const plan = await planIngest(
      video({ formatName: 'avi', videoCodec: 'mpeg4' }),
      { readable: false },
      page().decodes,
    );
    expect(plan).toMatchObject({
      action: 'convert',
      reasons: ['AVI container'],
      label: 'MPEG-4 clip',
    });
  });

  it('copies the picture and converts only sound the page cannot decode', async () => {
    const view = { ...VIEW, audio: probe('audio', 'ac-3') };
    const plan = await planIngest(video({ audioCodec: 'ac3' }), view, page().decodes);
    expect(plan).toMatchObject({
      action: 'convert',
      copyVideo: true,
      reasons: ['Dolby Digital sound this browser cannot decode'],
    });
  });

  it('converts odd sizes and non-square pixels', async () => {
    const odd = await planIngest(
      video({ width: 1179, height: 2556, codedWidth: 1179, codedHeight: 2556 }),
      VIEW,
      page().decodes,
    );
    expect(odd).toMatchObject({ action: 'convert', reasons: ['odd size 1179x2556'] });
    const anamorphic = await planIngest(
      video({ width: 1280, height: 720, codedWidth: 960, codedHeight: 720 }),
      VIEW,
      page().decodes,
    );
    expect(anamorphic).toMatchObject({ action: 'convert', reasons: ['non-square pixels'] });
  });

  it('converts sound-only files in codecs the page lacks, and images Chromium cannot show', async () => {
    const amr = video({
      kind: 'audio',
      videoCodec: undefined,
      audioCodec: 'amr_nb',
      formatName: 'amr',
      width: 0,
      height: 0,
      codedWidth: 0,
      codedHeight: 0,
    });
    expect(await planIngest(amr, { readable: false }, page().decodes)).toMatchObject({
      action: 'convert',
      label: 'AMR recording',
    });
    const tiff = video({ kind: 'image', formatName: 'tiff_pipe', videoCodec: 'tiff', hasAudio: false });
    expect(await planIngest(tiff, { readable: false }, page().decodes)).toMatchObject({
      label: 'TIFF image',
    });
    const png = video({ kind: 'image', formatName: 'png_pipe', videoCodec: 'png', hasAudio: false });
    expect(await planIngest(png, { readable: false }, page().decodes)).toEqual({ action: 'keep' });
  });
});
