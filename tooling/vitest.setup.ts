// An unexpected console.error fails the test that caused it (STYLE.md, Tests).
import { afterEach, beforeEach, vi, type MockInstance } from 'vitest';

let spy: MockInstance<typeof console.error> | undefined;
let captured: unknown[][] = [];

beforeEach(() => {
  captured = [];
  spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    captured.push(args);
  });
});

afterEach(() => {
  spy?.mockRestore();
  spy = undefined;
  if (captured.length > 0) {
    const lines = captured.map((args) => args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' '));
    captured = [];
    throw new Error(`unexpected console.error during test:\n${lines.join('\n')}`);
  }
});
