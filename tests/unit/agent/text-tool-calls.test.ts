import { describe, expect, it } from 'vitest';
import { readTextToolCalls } from '../../../src/agent/text-tool-calls.ts';

describe('readTextToolCalls', () => {
  it('reads <tool_call> blocks as a Hermes-style template writes them without a parser', () => {
    const text =
      'Let me look.\n<tool_call>\n{"name": "search_docs", "arguments": {"query": "fade"}}\n</tool_call>\n<tool_call>{"name": "render", "arguments": {}}</tool_call>';
    expect(readTextToolCalls(text)).toEqual([
      { name: 'search_docs', arguments: '{"query":"fade"}', from: 'tool_call' },
      { name: 'render', arguments: '{}', from: 'tool_call' },
    ]);
  });

  it("reads Mistral's [TOOL_CALLS] list and calls given as a JSON fence", () => {
    expect(readTextToolCalls('[TOOL_CALLS][{"name": "render", "parameters": {}}]')).toEqual([
      { name: 'render', arguments: '{}', from: 'tool_call' },
    ]);
    expect(
      readTextToolCalls('```json\n{"name": "visual_feedback", "arguments": {"goal": "title"}}\n```'),
    ).toEqual([{ name: 'visual_feedback', arguments: '{"goal":"title"}', from: 'tool_call' }]);
  });

  it('runs JavaScript in fenced blocks as run_code, in order, and leaves other languages alone', () => {
    const text = 'First:\n```javascript\nconst a = 1;\n```\nThen:\n```\nconst b = 2;\n```\n```bash\nls\n```';
    expect(readTextToolCalls(text)).toEqual([
      { name: 'run_code', arguments: JSON.stringify({ code: 'const a = 1;' }), from: 'code_block' },
      { name: 'run_code', arguments: JSON.stringify({ code: 'const b = 2;' }), from: 'code_block' },
    ]);
  });

  it('finds nothing in a plain answer or a JSON object that is not a call', () => {
    expect(readTextToolCalls('It is 12 seconds long.')).toEqual([]);
    expect(readTextToolCalls('```json\n{"verdict": "approve"}\n```')).toEqual([]);
  });
});
