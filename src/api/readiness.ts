/** A dependency the service needs to answer well; both front doors report on the same list. */
export interface ReadinessCheck {
  /** The dependency's name as operators know it: `redis`, `postgres`, `kafka`, `rules`. */
  name: string;
  check(): Promise<void>;
}

export interface CheckResult {
  dependency: string;
  ok: boolean;
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
        return { dependency: c.name, ok: true };
      } catch (err) {
        return {
          dependency: c.name,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        };
      }
    }),
  );
}
