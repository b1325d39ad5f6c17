import { describe, expect, it } from 'vitest';
import { AGENT_TOOLS, parseToolCall } from '../../../src/agent/agent-tools.ts';

describe('agent tools', () => {
  it('declares exactly the four contract tools', () => {
    expect(AGENT_TOOLS.map((t) => (t.type === 'function' ? t.function.name : ''))).toEqual([
      'run_code',
      'search_docs',
      'visual_feedback',
      'render',
    ]);
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
