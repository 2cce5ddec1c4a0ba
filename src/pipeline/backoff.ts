export interface BackoffPolicy {
  /** Delay before the first retry (ms). */
  minMs: number;
  /** Ceiling of the delay (ms). */
  maxMs: number;
}

/**
 * Exponential backoff with jitter: the n-th consecutive failure (n ≥ 1) waits between half and
 * all of min·2ⁿ⁻¹ (capped at max). The random half keeps replicas that failed together from
 * retrying in lockstep; the fixed half keeps a retry from coming back almost at once.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
