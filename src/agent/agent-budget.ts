/** @module Per-request limits of the agent: steps, LLM calls, tokens and wall time. */
import type { Config } from '../config.ts';
import type { LlmUsage } from './llm-client.ts';

export type AgentLimits = Config['agent'];

export type LimitName = 'steps' | 'llm_calls' | 'tokens' | 'wall_time';

export interface LimitHit {
  limit: LimitName;
  /** For developers: which limit, its value and what was used. */
  message: string;
  /** For users: plain words. */
  userMessage: string;
}

/** Counts what one request has used and says when a limit is reached. Time comes from `now` (ms). */
export class AgentBudget {
  steps = 0;
  llmCalls = 0;
  promptTokens = 0;
  completionTokens = 0;
  private readonly startedAt: number;

  constructor(
    readonly limits: AgentLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  get tokens(): number {
    return this.promptTokens + this.completionTokens;
  }

  get elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  get remainingMs(): number {
    return Math.max(0, this.limits.maxWallMs - this.elapsedMs);
  }

  recordStep(): void {
    this.steps += 1;
  }

  recordLlmCall(usage: LlmUsage): void {
    this.llmCalls += 1;
    this.promptTokens += usage.promptTokens;
    this.completionTokens += usage.completionTokens;
  }

  /** The first limit that is used up, checked before spending more (another LLM call or step). */
  exceeded(): LimitHit | undefined {
    const { maxSteps, maxLlmCalls, maxTokens, maxWallMs } = this.limits;
    if (this.steps >= maxSteps) {
      return hit('steps', `step limit ${maxSteps} reached`, `I used all ${maxSteps} editing steps`);
    }
    if (this.llmCalls >= maxLlmCalls) {
      return hit('llm_calls', `LLM call limit ${maxLlmCalls} reached`, `I used all ${maxLlmCalls} AI calls`);
    }
    if (this.tokens >= maxTokens) {
      return hit(
        'tokens',
        `token limit ${maxTokens} reached (${this.tokens} used)`,
        'I used up the AI budget for this request',
      );
    }
    if (this.elapsedMs >= maxWallMs) {
      return hit(
        'wall_time',
        `time limit ${maxWallMs} ms reached (${this.elapsedMs} ms)`,
        `I ran out of time (${Math.round(maxWallMs / 1000)} s)`,
      );
    }
    return undefined;
  }
}

function hit(limit: LimitName, message: string, userMessage: string): LimitHit {
  return { limit, message, userMessage };
}
