/** @module The progress events the agent emits for chat adapters and the CLI to show. */
import type { Verdict } from './verdict.ts';

export interface AgentProgress {
  stage: 'replaying' | 'searching_docs' | 'editing' | 'checking_frames' | 'rendering';
  /** The agent step (tool call) number, from 1. */
  step?: number;
  /** Render progress, 0–100. */
  percent?: number;
  /** One short line for people. */
  text: string;
  /** A preview contact sheet just written (after frames were sampled). */
  previewPath?: string;
  /** The verdict of a visual check that just finished. */
  verdict?: Verdict;
}

export type AgentProgressListener = (event: AgentProgress) => void;
