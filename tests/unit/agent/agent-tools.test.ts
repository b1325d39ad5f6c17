import { describe, expect, it } from 'vitest';
import { AGENT_TOOLS, parseToolCall } from '../../../src/agent/agent-tools.ts';

describe('agent tools', () => {
  it('declares exactly the contract tools', () => {
    expect(AGENT_TOOLS.map((t) => (t.type === 'function' ? t.function.name : ''))).toEqual([
      'run_code',
      'search_docs',
      'visual_feedback',
      'render',
      'inspect_media',
    ]);
  });

  it('accepts inspect_media with an asset alone or with a question over a time range', () => {
    expect(parseToolCall('inspect_media', '{"asset":0}')).toEqual({
      ok: true,
      name: 'inspect_media',
      args: { asset: 0 },
    });
    expect(
      parseToolCall('inspect_media', '{"asset":1,"question":"when does he jump?","from":2,"to":9.5}'),
    ).toEqual({
      ok: true,
      name: 'inspect_media',
      args: { asset: 1, question: 'when does he jump?', from: 2, to: 9.5 },
    });
  });

  it('explains inspect_media arguments it cannot use', () => {
    const missing = parseToolCall('inspect_media', '{}');
    expect(!missing.ok && missing.error).toMatch(/invalid arguments for inspect_media: asset/);
    const backwards = parseToolCall('inspect_media', '{"asset":0,"from":5,"to":2}');
    expect(!backwards.ok && backwards.error).toContain('from must be before to');
    const fraction = parseToolCall('inspect_media', '{"asset":0.5}');
    expect(fraction.ok).toBe(false);
  });

  it('accepts valid arguments, and empty arguments where none are required', () => {
    expect(parseToolCall('run_code', '{"code":"console.log(1)"}')).toEqual({
      ok: true,
      name: 'run_code',
      args: { code: 'console.log(1)' },
    });
    expect(parseToolCall('render', '')).toEqual({ ok: true, name: 'render', args: {} });
    expect(parseToolCall('visual_feedback', '{}')).toEqual({ ok: true, name: 'visual_feedback', args: {} });
  });

  it('explains broken JSON, missing fields and unknown tools', () => {
    const broken = parseToolCall('run_code', '{"code": "x');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/not valid JSON.*\{"code": "\.\.\."\}/);
    const missing = parseToolCall('search_docs', '{"q":"fade"}');
    expect(!missing.ok && missing.error).toMatch(/invalid arguments for search_docs: query/);
    const empty = parseToolCall('run_code', '{"code":"   "}');
    expect(!empty.ok && empty.error).toContain('code must not be empty');
    const unknown = parseToolCall('delete_everything', '{}');
    expect(!unknown.ok && unknown.error).toContain('unknown tool "delete_everything"');
  });
});
