import { describe, expect, it } from 'vitest';
import { readToolArguments } from '../../../src/agent/repair-tool-arguments.ts';

function parseErrorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

describe('readToolArguments', () => {
  it('reads valid JSON as it is, with no repair', () => {
    expect(readToolArguments('{"code": "a\\nb"}', 'code')).toEqual({ ok: true, data: { code: 'a\nb' } });
    expect(readToolArguments('  ', 'code')).toEqual({ ok: true, data: {} });
  });

  it('escapes raw line breaks inside a string', () => {
    const reading = readToolArguments('{"code": "const a = 1;\n\tconsole.log(a)"}', 'code');
    expect(reading).toMatchObject({ ok: true, data: { code: 'const a = 1;\n\tconsole.log(a)' } });
    expect(reading.ok && reading.repair).toMatch(/not escaped/);
  });

  it('keeps a backslash that starts no JSON escape, so a regular expression keeps its \\d', () => {
    const reading = readToolArguments(String.raw`{"code": "const r = /\d+\.\w/;"}`, 'code');
    expect(reading).toMatchObject({ ok: true, data: { code: String.raw`const r = /\d+\.\w/;` } });
  });

  it('escapes bare quotes inside the one string field of a single-field tool', () => {
    const reading = readToolArguments('{"code": "console.log("hi", \\"there\\")\nreturn"}', 'code');
    expect(reading).toMatchObject({ ok: true, data: { code: 'console.log("hi", "there")\nreturn' } });
    expect(reading.ok && reading.repair).toBe('quotes inside "code" were not escaped');
  });

  it('leaves bare quotes alone when the tool has more than one field', () => {
    const text = '{"code": "console.log("hi")"}';
    expect(readToolArguments(text)).toEqual({ ok: false, error: parseErrorOf(text) });
  });

  it('takes a Markdown fence off, also around bare code for a single-field tool', () => {
    expect(readToolArguments('```json\n{"query": "fade"}\n```', 'query')).toMatchObject({
      ok: true,
      data: { query: 'fade' },
      repair: 'a Markdown code fence was around the JSON',
    });
    expect(readToolArguments('```js\nconst x = 1;\n```', 'code')).toMatchObject({
      ok: true,
      data: { code: 'const x = 1;' },
    });
  });

  it('reads a bare value as the single field', () => {
    expect(readToolArguments('const x = 1; console.log(x)', 'code')).toMatchObject({
      ok: true,
      data: { code: 'const x = 1; console.log(x)' },
      repair: 'they were the bare value of "code", not a JSON object',
    });
  });

  it('returns the exact parse error for JSON cut off mid-string instead of guessing its end', () => {
    const cut = '{"code": "const layer = await composition.add(new core.La';
    expect(readToolArguments(cut, 'code')).toEqual({ ok: false, error: parseErrorOf(cut) });
  });
});
