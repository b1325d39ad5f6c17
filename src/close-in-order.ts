/** @module Closing several resources in order, where one failing step never skips the rest. */

/** Runs each step in turn; a step that throws is reported to `onError` and the next one still runs. */
export async function closeInOrder(
  steps: (() => Promise<unknown>)[],
  onError: (error: unknown, index: number) => void,
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    try {
      await step();
    } catch (error) {
      onError(error, index);
    }
  }
}
