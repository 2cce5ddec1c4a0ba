import type { DecisionCache } from '../pipeline/decision-cache.ts';
import type { VelocityStore } from '../pipeline/velocity-store.ts';

/** Counts a rejected call, then passes the rejection on unchanged. */
function counted<T>(p: Promise<T>, count: () => void): Promise<T> {
  return p.catch((err: unknown) => {
    count();
    throw err;
  });
}

/** The velocity store, with every failed call counted as an error of `dependency`. */
export function countVelocityErrors(store: VelocityStore, count: () => void): VelocityStore {
  const counting: VelocityStore = {
    record: (tx) => counted(store.record(tx), count),
    ping: () => counted(store.ping(), count),
    close: () => store.close(),
  };
  const { recordFirst } = store;
  if (recordFirst !== undefined) {
    counting.recordFirst = (tx, h) => counted(recordFirst(tx, h), count);
  }
  return counting;
}

/** The decision cache, with every failed call counted. */
export function countDecisionErrors(cache: DecisionCache, count: () => void): DecisionCache {
  const counting: DecisionCache = {
    get: (id) => counted(cache.get(id), count),
    putIfAbsent: (id, d) => counted(cache.putIfAbsent(id, d), count),
    ping: () => counted(cache.ping(), count),
    close: () => cache.close(),
  };
  if (cache.claim !== undefined) {
    counting.claim = (id, h) =>
      counted(cache.claim?.(id, h) ?? Promise.reject(new Error('no claim')), count);
  }
  return counting;
}
