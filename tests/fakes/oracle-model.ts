/**
 * @module The scripted model `cutroom eval` runs against in CI: it plays each task's reference answer (inspect,
 * run its code actions, check, render; or reply) and approves every check, so a run tests the eval harness and its checks, not a
 * model. Use it as the OpenAI fake's fallback.
 */
import type { EvalTask } from '../../src/eval/eval-task.ts';
import { EVAL_TASKS } from '../../src/eval/eval-tasks.ts';
import { checkOrCaption } from './check-and-caption.ts';
import {
  type FakeChatAnswer,
  type RecordedChatRequest,
  textReply,
  toolCallReply,
} from './openai-fake-server.ts';

/** Answers every request of an eval run: the tasks' oracles for the agent, approval for checks, a caption for summaries. */
export function oracleModel(tasks: EvalTask[] = EVAL_TASKS) {
  return (request: RecordedChatRequest): FakeChatAnswer => {
    const other = checkOrCaption(request, 'Done as asked.');
    if (other) return other;
    const first = request.messages.find((m) => m.role === 'user');
    const prompt = /^Request: (.*)$/m.exec(typeof first?.content === 'string' ? first.content : '')?.[1];
    const task = tasks.find((t) => t.prompts.includes(prompt ?? ''));
    if (!task || prompt === undefined) return textReply(`oracle: no task asks "${prompt}"`);
    const turn = task.oracle[task.prompts.indexOf(prompt)];
    if ('reply' in turn) return textReply(turn.reply);
    const actions: [string, Record<string, unknown>][] = [
      ...(turn.inspect ?? []).map((asset): [string, Record<string, unknown>] => ['inspect_media', { asset }]),
      ...turn.code.map((code): [string, Record<string, unknown>] => ['run_code', { code }]),
    ];
    const results = request.toolResults();
    const last = results.at(-1);
    if (last?.startsWith('error')) return textReply(`oracle: the reference answer failed: ${last}`);
    if (results.length < actions.length) return toolCallReply(...actions[results.length]);
    return results.length === actions.length
      ? toolCallReply('visual_feedback', {})
      : toolCallReply('render', {});
  };
}
