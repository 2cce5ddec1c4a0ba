import type { WindowInput } from '../domain/windows.ts';

/**
 * Where the scorer folds every scored transaction (idempotent replays excluded) into the
 * aggregate risk windows (DESIGN.md §4.8). `add` is synchronous and never fails: it only
 * updates memory; writing out is the sink's business, off the scoring path.
 */
export interface WindowSink {
  add(input: WindowInput): void;
}
