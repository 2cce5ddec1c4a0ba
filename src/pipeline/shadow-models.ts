import type { Logger } from './logger.ts';
import type { RoleModelSource } from './live-models.ts';
import type { ModelRoleSpec, VersionedModel } from './model-roles.ts';
import type { ScoredSample } from './recent-scored.ts';

/** One shadow score, as the metrics take it. */
export interface ShadowObservation {
  role: string;
  /** The shadow's `model_version`. */
  version: string;
  score: number;
  /** The shadow and the active model disagree on whether the transaction is unusual. */
  disagrees: boolean | null;
}

export interface ShadowScorerOptions {
  /** Each role's source and spec; only roles with a shadow model cost anything. */
  roles: ReadonlyArray<{
    role: string;
    source: RoleModelSource<VersionedModel>;
    spec: ModelRoleSpec<VersionedModel>;
  }>;
  onScore: (o: ShadowObservation) => void;
  logger: Logger;
  /** Samples waiting beyond this are dropped (and counted) rather than queued. Default 10,000. */
  maxQueued?: number;
  onDropped?: () => void;
}

export interface ShadowScorer {
  /** Queues a scored transaction for every role's shadow; returns at once. */
  observe(sample: ScoredSample): void;
  /** Scores what is queued now (tests; close). */
  drain(): void;
  close(): void;
}

/**
 * Shadow models score every transaction too, off the response path: `observe` (called when a
 * transaction has been scored) only queues the sample, and the queue is scored in one batch on
 * the next turn of the event loop, after the answers of the current turn have been written. A
 * shadow's score never reaches the answer, the rules or the decision; it goes to the metrics.
 * Each batch reads the role's {active, shadow} pair once. With no shadow model, `observe`
 * costs one read of a reference.
 */
export function createShadowScorer(opts: ShadowScorerOptions): ShadowScorer {
  const log = opts.logger.child({ component: 'shadow-models' });
  const maxQueued = opts.maxQueued ?? 10_000;
  let queue: ScoredSample[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  let lastErrorLog = 0;

  function drain(): void {
    scheduled = undefined;
    const batch = queue;
    queue = [];
    for (const { role, source, spec } of opts.roles) {
      const { active, shadow } = source.state();
      if (shadow === null) continue;
      for (const sample of batch) {
        try {
          const r = spec.shadowScore(shadow.model, active?.model ?? null, sample);
          if (r === null) continue;
          opts.onScore({
            role,
            version: shadow.model.version,
            score: r.score,
            disagrees: r.activeFlagged === null ? null : r.activeFlagged !== r.flagged,
          });
        } catch (err) {
          const now = Date.now();
          if (now - lastErrorLog > 10_000) {
            lastErrorLog = now;
            log.error({ err, role, model_version: shadow.model.version }, 'shadow model failed');
          }
        }
      }
    }
  }

  return {
    observe(sample) {
      if (!opts.roles.some((r) => r.source.shadow() !== null)) return;
      if (queue.length >= maxQueued) {
        opts.onDropped?.();
        return;
      }
      queue.push(sample);
      scheduled ??= setImmediate(drain);
    },
    drain() {
      if (scheduled !== undefined) clearImmediate(scheduled);
      drain();
    },
    close() {
      if (scheduled !== undefined) clearImmediate(scheduled);
      scheduled = undefined;
      queue = [];
    },
  };
}
