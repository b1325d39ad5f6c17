/** @module `cutroom doctor`'s LLM checks: the endpoint and its context window, a live tool call, a live image. */
import { type ProbeResult, probeToolCalls, probeVision } from '../agent/endpoint-probe.ts';
import { LlmClient } from '../agent/llm-client.ts';
import { DEFAULT_CONTEXT_TOKENS } from '../agent/run-edit.ts';
import type { Config } from '../config.ts';
import type { Check } from './doctor.ts';

/** Below this a run's instructions, request and a few results hardly fit; 32k is comfortable. */
const SMALL_CONTEXT_TOKENS = 16_384;

export async function llmChecks(config: Config): Promise<Check[]> {
  const { apiKey, baseURL, model, visionModel } = config.openai;
  if (!apiKey && !baseURL) {
    return [
      {
        name: 'LLM',
        status: 'warn',
        detail: 'not configured',
        fix: 'set OPENAI_API_KEY (and OPENAI_BASE_URL for other providers)',
      },
    ];
  }
  const llm = LlmClient.fromConfig(config.openai, { maxRetries: 1 });
  const window = await llm.contextWindow(model);
  const configured = config.agent.contextTokens;
  const used = configured ?? window.tokens ?? DEFAULT_CONTEXT_TOKENS;
  const source = configured
    ? `CUTROOM_CONTEXT_TOKENS${window.tokens ? `; the endpoint reports ${window.tokens}` : ''}`
    : window.tokens
      ? window.source
      : `not reported, ${DEFAULT_CONTEXT_TOKENS} assumed`;
  const tooBig = configured !== undefined && window.tokens !== null && configured > window.tokens;
  const context: Check = {
    name: 'LLM endpoint',
    status: used < SMALL_CONTEXT_TOKENS || tooBig ? 'warn' : 'ok',
    detail: `${baseURL ?? 'OpenAI'}; agent ${model}, vision ${visionModel}; context ${used} tokens (${source})`,
    fix: tooBig
      ? `CUTROOM_CONTEXT_TOKENS is more than the model's window: lower it to ${window.tokens}`
      : 'give the model more context (Ollama: OLLAMA_CONTEXT_LENGTH or num_ctx; vLLM: --max-model-len) and set CUTROOM_CONTEXT_TOKENS to match; 32768 is comfortable',
    data: { endpoint: baseURL ?? 'OpenAI', model, visionModel, contextTokens: used, contextSource: source },
  };
  return [
    context,
    probeCheck('LLM tool calls', await probeToolCalls(llm)),
    probeCheck('LLM vision', await probeVision(llm)),
  ];
}

function probeCheck(name: string, probe: ProbeResult): Check {
  const status = probe.outcome === 'works' ? 'ok' : probe.outcome === 'degraded' ? 'warn' : 'fail';
  return {
    name,
    status,
    detail: `${probe.outcome === 'fails' ? 'does not work: ' : ''}${probe.detail} (${probe.ms} ms)`,
    fix: probe.fix,
    data: { model: probe.model, outcome: probe.outcome, ms: probe.ms },
  };
}
