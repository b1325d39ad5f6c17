import { describe, expect, it } from 'vitest';
import { escapeSlackText } from '../../../src/bots/slack/slack-surface.ts';
import { CUT_NOTE, fitText } from '../../../src/deliveries/fit-text.ts';

const plain = { maxChars: 2000, escape: (text: string) => text };
const words = (count: number) => Array.from({ length: count }, (_, i) => `word${i}`).join(' ');

describe('fitText', () => {
  it('leaves a text within the limit as it is, framed', () => {
    expect(fitText('Kept the best part.', plain, (body) => `**Version 2**\n${body}`)).toEqual({
      text: '**Version 2**\nKept the best part.',
    });
  });

  it('cuts a long text at a word so the framed text fits, and keeps the whole for a file', () => {
    const summary = words(500);
    const fitted = fitText(summary, plain, (body) => `**Version 2** · 12 s\n${body}\nReply to change it.`);
    expect(fitted.text.length).toBeLessThanOrEqual(2000);
    expect(fitted.text).toMatch(/^\*\*Version 2\*\* · 12 s\nword0 word1 /);
    expect(fitted.text).toMatch(
      /word\d+… _\(cut: the full text is in the file below\)_\nReply to change it\.$/,
    );
    expect(fitted.text).toContain(CUT_NOTE);
    expect(fitted.overflow).toBe(summary);
  });

  it('closes a code block the cut leaves open', () => {
    const fitted = fitText(`Here is the script:\n\`\`\`js\n${'clip.trim(1);\n'.repeat(300)}\`\`\``, plain);
    expect(fitted.text.length).toBeLessThanOrEqual(2000);
    expect(fitted.text.match(/```/g)).toHaveLength(2);
  });

  it('escapes mentions in what the model wrote, with the platform rules, before it counts', () => {
    const slack = { maxChars: 3000, escape: escapeSlackText };
    expect(fitText('Done <!channel> & <@U123> <!subteam^S1>', slack).text).toBe(
      'Done &lt;!channel&gt; &amp; &lt;@U123&gt; &lt;!subteam^S1&gt;',
    );
  });

  it('never cuts inside an escape', () => {
    const slack = { maxChars: 100, escape: escapeSlackText };
    const fitted = fitText('<'.repeat(300), slack);
    expect(fitted.text.length).toBeLessThanOrEqual(100);
    expect(fitted.text.replace(CUT_NOTE, '')).toMatch(/^(?:&lt;)+$/);
  });
});
