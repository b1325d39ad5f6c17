/**
 * @module The edit tasks of `cutroom eval`: each with tiny generated clips, the request(s), a machine check of the
 * result, and the reference answer the scripted model plays in CI.
 */
import type { EditOutcome } from '../agent/run-edit.ts';
import { BLUE, ORANGE, RED, SECOND_COLOURS, TONE_SPANS, VOICE_SPANS } from './eval-fixtures.ts';
import {
  brightnessAt,
  type CheckResult,
  checked,
  colourAt,
  durationNear,
  type EvalTask,
  round,
} from './eval-task.ts';
import {
  CENTRE,
  changedShare,
  frameAt,
  meanColour,
  type Region,
  shareNear,
  soundLevel,
} from './media-measure.ts';

const SMALL = 'composition = new core.Composition({ width: 640, height: 360 });';
const WHOLE_VIDEO = `const video = assets.find((a) => a.kind === 'video');
const main = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await main.add(new core.VideoClip(video.source, { range: [0, video.duration] }));`;
/** Clear of core's watermark (top left without a licence key): where plain colours are measured. */
const LOWER_RIGHT: Region = [0.6, 0.6, 0.95, 0.95];
const BOTTOM_RIGHT_CORNER: Region = [0.8, 0.8, 0.98, 0.98];
const TOP_RIGHT_QUARTER: Region = [0.5, 0, 1, 0.5];
const BOTTOM_LEFT_QUARTER: Region = [0, 0.5, 0.5, 1];
const LOWER_PART: Region = [0.05, 0.65, 0.95, 0.98];

const renderOf = (outcome: EditOutcome) => outcome.renderPath ?? '';

/** The index of the `colours` clip's second whose colour is nearest. */
function nearestSecond(colour: [number, number, number]): number {
  const distance = (c: number[]) => c.reduce((sum, v, i) => sum + (v - colour[i]) ** 2, 0);
  return SECOND_COLOURS.reduce((best, c, i) => (distance(c) < distance(SECOND_COLOURS[best]) ? i : best), 0);
}

/** How much of a region differs from the source frame at the same time: a title or caption drawn there. */
async function drawnOver(file: string, source: string, seconds: number, region: Region): Promise<number> {
  return changedShare(await frameAt(file, seconds), await frameAt(source, seconds), region);
}

export const EVAL_TASKS: EvalTask[] = [
  {
    name: 'trim',
    summary: 'keep the first 2 seconds of a 4 s clip',
    fixtures: ['colours'],
    prompts: ['Keep only the first 2 seconds.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst video = assets[0];\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [0, 2] }));`,
        ],
      },
    ],
    check: async (outcome) => [
      durationNear(outcome, 2, 0.15),
      await colourAt(renderOf(outcome), 0.5, LOWER_RIGHT, SECOND_COLOURS[0], 'first second'),
      await colourAt(renderOf(outcome), 1.5, LOWER_RIGHT, SECOND_COLOURS[1], 'second second'),
    ],
  },
  {
    name: 'join',
    summary: 'join a red and a blue clip, red first',
    fixtures: ['red', 'blue'],
    prompts: ['Join the two clips, the red one first.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst red = assets.find((a) => a.name.startsWith('red'));\nconst blue = assets.find((a) => a.name.startsWith('blue'));\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nfor (const v of [red, blue]) await layer.add(new core.VideoClip(v.source, { range: [0, v.duration] }));`,
        ],
      },
    ],
    check: async (outcome) => [
      durationNear(outcome, 4, 0.2),
      await colourAt(renderOf(outcome), 1, LOWER_RIGHT, RED, 'red'),
      await colourAt(renderOf(outcome), 3, LOWER_RIGHT, BLUE, 'blue'),
    ],
  },
  {
    name: 'title',
    summary: 'a title HELLO in the middle for the whole video',
    fixtures: ['colours'],
    prompts: ['Add the title HELLO in the middle of the picture, for the whole video.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\n${WHOLE_VIDEO}\nconst texts = await composition.add(new core.Layer());\nawait texts.add(new core.TextClip({ text: 'HELLO', position: 'center', align: 'center', baseline: 'middle', font: { family: 'DejaVu Sans', size: 48, weight: 'bold' }, color: '#ffffff', duration: composition.duration }));`,
        ],
      },
    ],
    check: async (outcome, fixtures) => {
      const source = (await fixtures.asset('colours')).path;
      const results: CheckResult[] = [durationNear(outcome, 4, 0.2)];
      for (const seconds of [0.5, 2.5]) {
        const share = await drawnOver(renderOf(outcome), source, seconds, CENTRE);
        results.push(
          checked(
            `text in the middle at ${seconds} s`,
            share >= 0.03,
            `${round(share * 100)}% of the middle changed`,
          ),
        );
      }
      const corner = await drawnOver(renderOf(outcome), source, 0.5, BOTTOM_RIGHT_CORNER);
      results.push(
        checked(
          'corner untouched',
          corner < 0.1,
          `${round(corner * 100)}% of the bottom-right corner changed`,
        ),
      );
      return results;
    },
  },
  {
    name: 'vertical',
    summary: 'make a landscape clip vertical 9:16',
    fixtures: ['colours'],
    prompts: ['Make it vertical, 9:16, for phones.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `composition = new core.Composition({ width: 360, height: 640 });\nconst video = assets[0];\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [0, video.duration], height: '100%', position: 'center', keepAspectRatio: true }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const width = outcome.render?.width ?? 0;
      const height = outcome.render?.height ?? 1;
      return [
        durationNear(outcome, 4, 0.2),
        checked('9:16', Math.abs(width / height - 9 / 16) < 0.02, `${width}x${height}`),
        await colourAt(renderOf(outcome), 0.5, LOWER_RIGHT, SECOND_COLOURS[0], 'picture kept'),
      ];
    },
  },
  {
    name: 'captions',
    summary: 'captions of the spoken words, from the transcript',
    fixtures: ['speech'],
    prompts: ['Add captions of what is said.'],
    needs: 'transcription',
    expects: 'render',
    oracle: [
      {
        inspect: [0],
        code: [
          `${SMALL}\n${WHOLE_VIDEO}\nconst captions = await composition.add(new core.Layer());\nfor (const word of video.transcript) {\n  await captions.add(new core.TextClip({ text: word.text, x: '50%', y: '88%', align: 'center', baseline: 'bottom', font: { family: 'DejaVu Sans', size: 28, weight: 'bold' }, color: '#ffffff', delay: word.start, duration: Math.max(0.1, word.end - word.start) }));\n}`,
        ],
      },
    ],
    check: async (outcome, fixtures) => {
      const source = await fixtures.asset('speech');
      const shares: number[] = [];
      for (const at of [0.25, 0.5, 0.75]) {
        shares.push(await drawnOver(renderOf(outcome), source.path, round(source.duration * at), LOWER_PART));
      }
      const best = Math.max(...shares);
      return [
        durationNear(outcome, round(source.duration), 0.25),
        checked(
          'captions while speaking',
          best >= 0.02,
          `${round(best * 100)}% of the lower part changed at best`,
        ),
      ];
    },
  },
  {
    name: 'fade',
    summary: 'fade in from and out to black, half a second each',
    fixtures: ['colours'],
    prompts: ['Fade in from black at the start and out to black at the end, half a second each.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst video = assets[0];\nconst length = video.duration;\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [0, length], animations: [{ key: 'opacity', frames: [{ time: 0, value: 0 }, { time: 0.5, value: 100 }, { time: length - 0.5, value: 100 }, { time: length, value: 0 }] }] }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const end = outcome.durationSeconds ?? 0;
      return [
        durationNear(outcome, 4, 0.2),
        await brightnessAt(renderOf(outcome), 0.02, LOWER_RIGHT, 'dark'),
        await brightnessAt(renderOf(outcome), 1.5, LOWER_RIGHT, 'bright'),
        await brightnessAt(renderOf(outcome), round(Math.max(0, end - 0.05)), LOWER_RIGHT, 'dark'),
      ];
    },
  },
  {
    name: 'music-ducking',
    summary: 'a music bed under a voice, quieter while the voice is heard',
    fixtures: ['voice', 'music'],
    prompts: ['Add the music under the voice, and make it quieter while the voice is heard.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\n${WHOLE_VIDEO}\nconst music = assets.find((a) => a.kind === 'audio');\nconst bed = await composition.add(new core.Layer());\nconst spans = [[0, 0.5, 0.8], [0.5, 1.5, 0.12], [1.5, 2.5, 0.8], [2.5, 3.5, 0.12], [3.5, 4, 0.8]];\nfor (const [from, to, volume] of spans) await bed.add(new core.AudioClip(music.source, { range: [from, to], volume }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const file = renderOf(outcome);
      const music = { hz: 220, widthHz: 80 };
      const inner = (span: [number, number]): [number, number] => [span[0] + 0.1, span[1] - 0.1];
      const during = await Promise.all(VOICE_SPANS.map((s) => soundLevel(file, ...inner(s), music)));
      const gaps = await Promise.all(
        [
          [0.05, 0.45],
          [1.6, 2.4],
        ].map(([a, b]) => soundLevel(file, a, b, music)),
      );
      const voice = await soundLevel(file, ...inner(VOICE_SPANS[0]), { hz: 1000, widthHz: 200 });
      const ducked = Math.max(...during);
      const open = Math.min(...gaps);
      return [
        durationNear(outcome, 4, 0.2),
        checked(
          'sound',
          outcome.render?.hasAudio === true,
          `audio track ${outcome.render?.hasAudio ? 'present' : 'missing'}`,
        ),
        checked('music present', open > -40, `music band ${round(open)} dB between the voice`),
        checked(
          'music ducked under the voice',
          open - ducked >= 6,
          `music band ${round(ducked)} dB under the voice, ${round(open)} dB between`,
        ),
        checked('voice kept', voice > -40, `voice band ${round(voice)} dB`),
      ];
    },
  },
  {
    name: 'picture-in-picture',
    summary: 'the blue clip small in the top-right corner over the red one',
    fixtures: ['red', 'blue'],
    prompts: ['Put the blue clip small in the top-right corner, over the red one.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst red = assets.find((a) => a.name.startsWith('red'));\nconst blue = assets.find((a) => a.name.startsWith('blue'));\nconst main = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait main.add(new core.VideoClip(red.source, { range: [0, red.duration] }));\nconst pip = await composition.add(new core.Layer());\nawait pip.add(new core.VideoClip(blue.source, { range: [0, blue.duration], width: '30%', keepAspectRatio: true, anchor: { x: 1, y: 0 }, x: '96%', y: '6%', muted: true }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const frame = await frameAt(renderOf(outcome), 1);
      const corner = shareNear(frame, TOP_RIGHT_QUARTER, BLUE);
      const centre = meanColour(frame, CENTRE);
      return [
        durationNear(outcome, 2, 0.2),
        checked(
          'blue inset top right',
          corner >= 0.1,
          `${round(corner * 100)}% of the top-right quarter is blue`,
        ),
        checked(
          'red main picture',
          shareNear(frame, CENTRE, RED) > 0.5,
          `middle ${centre.map(Math.round).join(',')}`,
        ),
      ];
    },
  },
  {
    name: 'remove-pauses',
    summary: 'cut the silent parts out of a clip with two pauses',
    fixtures: ['pauses'],
    prompts: ['Remove the pauses (the silent parts).'],
    expects: 'render',
    oracle: [
      {
        inspect: [0],
        code: [
          `${SMALL}\nconst video = assets[0];\nconst silences = video.silences;\nconst keep = [];\nlet at = 0;\nfor (const [from, to] of silences) {\n  if (from - at > 0.05) keep.push([at, from]);\n  at = to;\n}\nif (video.duration - at > 0.05) keep.push([at, video.duration]);\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nfor (const range of keep) await layer.add(new core.VideoClip(video.source, { range }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const spoken = TONE_SPANS.reduce((sum, [a, b]) => sum + b - a, 0);
      const levels = await Promise.all([
        soundLevel(renderOf(outcome), 0.2, 0.8),
        soundLevel(renderOf(outcome), 1.2, 1.8),
      ]);
      return [
        durationNear(outcome, spoken, 0.15),
        checked('no pause left', Math.min(...levels) > -35, `levels ${levels.map(round).join(' / ')} dB`),
      ];
    },
  },
  {
    name: 'shorter',
    summary: 'about half as long, without speeding it up',
    fixtures: ['colours'],
    prompts: ['Make it about half as long, without speeding it up.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst video = assets[0];\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [1, 3] }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const seconds = outcome.durationSeconds ?? 0;
      const first = nearestSecond(meanColour(await frameAt(renderOf(outcome), 0.5), LOWER_RIGHT));
      const next = nearestSecond(meanColour(await frameAt(renderOf(outcome), 1.5), LOWER_RIGHT));
      return [
        checked('about half', seconds >= 1.6 && seconds <= 2.4, `${round(seconds)} s of 4`),
        checked(
          'normal speed',
          next === first + 1,
          `one second apart shows source seconds ${first} and ${next}`,
        ),
      ];
    },
  },
  {
    name: 'follow-up',
    summary: 'trim to 3 s, then in a second request make it black and white',
    fixtures: ['colours'],
    prompts: ['Keep only the first 3 seconds.', 'Now make it black and white.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst video = assets[0];\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [0, 3] }));`,
        ],
      },
      {
        code: [
          `const video = assets[0];\ncomposition.clear();\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [0, 3], effects: [{ type: 'grayscale', value: 100 }] }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const [r, g, b] = meanColour(await frameAt(renderOf(outcome), 0.5), LOWER_RIGHT);
      const spread = Math.max(r, g, b) - Math.min(r, g, b);
      return [
        durationNear(outcome, 3, 0.15),
        checked(
          'black and white',
          spread < 30 && r > 30,
          `mean colour ${[r, g, b].map(Math.round).join(',')}`,
        ),
      ];
    },
  },
  {
    name: 'impossible',
    summary: 'an impossible request (upload to YouTube, a 3D hologram), refused politely',
    fixtures: ['colours'],
    prompts: ['Upload this to my YouTube channel and turn it into a 3D hologram.'],
    expects: 'refusal',
    oracle: [
      {
        reply:
          'I cannot upload videos or make 3D holograms: I can only edit the clip here, for example trim it, add a title or music.',
      },
    ],
    check: async (outcome) => [
      checked(
        'nothing rendered',
        !outcome.renderPath,
        outcome.renderPath ? 'a render was made' : 'no render',
      ),
      checked('says why', outcome.summary.trim().length >= 20, `"${outcome.summary.slice(0, 120)}"`),
    ],
  },
  {
    name: 'mute',
    summary: 'remove the sound',
    fixtures: ['colours'],
    prompts: ['Remove the sound.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\nconst video = assets[0];\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(video.source, { range: [0, video.duration], muted: true }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const level = await soundLevel(renderOf(outcome), 0, outcome.durationSeconds ?? 0);
      return [durationNear(outcome, 4, 0.2), checked('silent', level < -50, `${round(level)} dB`)];
    },
  },
  {
    name: 'logo',
    summary: 'a logo small in the bottom-left corner',
    fixtures: ['colours', 'logo'],
    prompts: ['Put the logo small in the bottom-left corner for the whole video.'],
    expects: 'render',
    oracle: [
      {
        code: [
          `${SMALL}\n${WHOLE_VIDEO}\nconst logo = assets.find((a) => a.kind === 'image');\nconst overlays = await composition.add(new core.Layer());\nawait overlays.add(new core.ImageClip(logo.source, { duration: composition.duration, width: 64, keepAspectRatio: true, anchor: { x: 0, y: 1 }, x: 12, y: composition.height - 12 }));`,
        ],
      },
    ],
    check: async (outcome) => {
      const results: CheckResult[] = [durationNear(outcome, 4, 0.2)];
      for (const seconds of [0.5, 3.5]) {
        const frame = await frameAt(renderOf(outcome), seconds);
        const corner = shareNear(frame, BOTTOM_LEFT_QUARTER, ORANGE, 60);
        results.push(
          checked(
            `logo bottom left at ${seconds} s`,
            corner >= 0.03,
            `${round(corner * 100)}% of the quarter is the logo's orange`,
          ),
        );
      }
      return results;
    },
  },
];
