import { describe, expect, it } from 'vitest';
import { describeVerdict, parseVerdict } from '../../../src/agent/verdict.ts';
import { CutroomError } from '../../../src/errors.ts';

describe('parseVerdict', () => {
  it('reads a plain JSON verdict', () => {
    expect(parseVerdict('{"verdict":"approve","issues":[]}')).toEqual({ verdict: 'approve', issues: [] });
  });

  it('reads a verdict from a code fence or surrounding prose', () => {
    const fenced =
      'Here you go:\n```json\n{"verdict":"revise","issues":[{"type":"trimming","at":3,"description":"too long"}]}\n```';
    expect(parseVerdict(fenced).issues[0]).toEqual({ type: 'trimming', at: 3, description: 'too long' });
    expect(parseVerdict('I think {"verdict": "approve"} is right').verdict).toBe('approve');
  });

  it('keeps issues with unknown types as other and missing times as null', () => {
    const v = parseVerdict('{"verdict":"revise","issues":[{"type":"colour","description":"too dark"}]}');
    expect(v.issues).toEqual([{ type: 'other', at: null, description: 'too dark' }]);
  });

  it('rejects an answer with no verdict as llm_bad_response', () => {
    for (const text of ['looks great!', '{"verdict":"maybe"}', '']) {
      const error = (() => {
        try {
          parseVerdict(text);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(CutroomError);
      expect((error as CutroomError).code).toBe('llm_bad_response');
    }
  });

  it('describes a verdict in one line for a chat thread', () => {
    expect(describeVerdict({ verdict: 'approve', issues: [] })).toBe('Visual check: approved.');
    expect(
      describeVerdict({
        verdict: 'revise',
        issues: [{ type: 'other', at: 2, description: 'title cut off' }],
      }),
    ).toBe('Visual check: needs changes — title cut off (at 2 s).');
  });
});
