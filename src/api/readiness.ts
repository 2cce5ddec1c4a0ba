/** A dependency the service needs to answer well; both front doors report on the same list. */
export interface ReadinessCheck {
  /** The dependency's name as operators know it: `redis`, `postgres`, `kafka`, `rules`. */
  name: string;
  check(): Promise<void>;
  /**
   * False for a dependency whose loss degrades answers without stopping them (PostgreSQL: rules
   * stay on the loaded version, flags go to the local outbox, windows wait in memory). Its
   * failure is reported but keeps the service ready, so that an outage of a store shared by
   * every replica does not take them all out of rotation. Default true.
   */
  critical?: boolean;
}

export interface CheckResult {
  dependency: string;
  ok: boolean;
  critical: boolean;
  error?: string;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every check at once, each bounded by `timeoutMs`; never rejects. */
export function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (c): Promise<CheckResult> => {
      try {
        await withTimeout(c.check(), timeoutMs);
        return { dependency: c.name, ok: true, critical: c.critical ?? true };
      } catch (err) {
        return {
          dependency: c.name,
          ok: false,
          critical: c.critical ?? true,
          error: err instanceof Error ? err.message : String(err),
        };
      }
    }),
  );
}
