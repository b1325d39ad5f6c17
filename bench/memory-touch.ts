/**
 * @module What first-touching fresh memory costs on this machine, against rewriting memory already touched.
 *
 * Chromium allocates pixel memory per frame in places the page cannot reach (canvas copy-on-write, frame
 * conversions). On a VM whose freed pages go back to the host, every such page faults to the host on first
 * touch, so the engine's figures depend on this as much as on the CPU.
 */

const FRAME_BYTES = 1280 * 720 * 4;
/** Above glibc's largest mmap threshold: every allocation is fresh pages from the kernel. */
const BLOCK_BYTES = 64 * 1024 * 1024;
const ROUNDS = 8;

export interface MemoryTouchCost {
  /** Milliseconds to allocate and fill one 720p RGBA frame's worth of fresh memory. */
  freshMsPerFrame: number;
  /** Milliseconds to fill the same amount of memory that was touched before. */
  reusedMsPerFrame: number;
}

export function measureMemoryTouch(): MemoryTouchCost {
  let fresh = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    Buffer.allocUnsafeSlow(BLOCK_BYTES).fill(i);
    fresh += performance.now() - start;
  }
  const block = Buffer.allocUnsafeSlow(BLOCK_BYTES).fill(0);
  let reused = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    block.fill(i);
    reused += performance.now() - start;
  }
  const perFrame = (ms: number) => Number((ms / ROUNDS / (BLOCK_BYTES / FRAME_BYTES)).toFixed(2));
  return { freshMsPerFrame: perFrame(fresh), reusedMsPerFrame: perFrame(reused) };
}
