import { describe, expect, it } from 'vitest';
import { AgentBudget } from '../../../src/agent/agent-budget.ts';

const limits = { maxSteps: 3, maxLlmCalls: 5, maxTokens: 1000, maxWallMs: 10_000 };

describe('AgentBudget', () => {
  it('reports nothing while every limit has room', () => {
    const budget = new AgentBudget(limits);
    budget.recordStep();
    budget.recordLlmCall({ promptTokens: 100, completionTokens: 50 });
    expect(budget.exceeded()).toBeUndefined();
    expect(budget.tokens).toBe(150);
  });

  it('stops at the step limit', () => {
    const budget = new AgentBudget(limits);
    for (let i = 0; i < 3; i++) budget.recordStep();
    expect(budget.exceeded()).toMatchObject({ limit: 'steps', userMessage: 'I used all 3 editing steps' });
  });

  it('stops at the LLM call limit', () => {
    const budget = new AgentBudget(limits);
    for (let i = 0; i < 5; i++) budget.recordLlmCall({ promptTokens: 1, completionTokens: 1 });
    expect(budget.exceeded()?.limit).toBe('llm_calls');
  });

  it('stops at the token limit counted from usage', () => {
    const budget = new AgentBudget(limits);
    budget.recordLlmCall({ promptTokens: 900, completionTokens: 100 });
    expect(budget.exceeded()).toMatchObject({
      limit: 'tokens',
      message: 'token limit 1000 reached (1000 used)',
    });
  });

  it('stops at the wall time limit', () => {
    let now = 1_000;
    const budget = new AgentBudget(limits, () => now);
    now += 9_999;
    expect(budget.exceeded()).toBeUndefined();
    expect(budget.remainingMs).toBe(1);
    now += 1;
    expect(budget.exceeded()?.limit).toBe('wall_time');
  });
});
