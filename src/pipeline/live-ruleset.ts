import type { RuleEvaluator } from '../domain/rules/types.ts';
import type { Logger } from './logger.ts';
import type { EvaluatorFactory, RulesetSource } from './ruleset-source.ts';
import type { RulesetStore } from './ruleset-store.ts';

export interface LiveRulesetOptions {
  store: RulesetStore;
  makeEvaluator: EvaluatorFactory;
  logger: Logger;
  /** The safety net for lost notifications: how often the active version is compared (ms). */
  pollIntervalMs: number;
  /** Called after every swap (metrics). */
  onSwap?: (evaluator: RuleEvaluator) => void;
}

export interface LiveRuleset extends RulesetSource {
  /** The active version's number. */
  version(): number;
  /** Loads the store's active version now if it differs; resolves when done. */
  refresh(): Promise<void>;
}

/**
 * The active ruleset of a store, kept current on every replica: a notification of a change (LISTEN/NOTIFY)
 * reloads it at once, and a periodic check of the active version catches notifications lost with
 * a dropped connection. The swap is one reference assignment: a scoring call reads `current()`
 * once and is evaluated entirely by that version, which its response names.
 */
export async function createLiveRuleset(opts: LiveRulesetOptions): Promise<LiveRuleset> {
  const { store, makeEvaluator, pollIntervalMs } = opts;
  const log = opts.logger.child({ component: 'rules' });

  const load = async (): Promise<{ evaluator: RuleEvaluator; version: number }> => {
    const active = await store.active();
    if (active === null) throw new Error('the ruleset store has no active version');
    return {
      evaluator: makeEvaluator(active.rules, String(active.version)),
      version: active.version,
    };
  };

  let { evaluator, version } = await load();
  opts.onSwap?.(evaluator);
  let inFlight: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let lastErrorLog = 0;

  const logError = (err: unknown, msg: string): void => {
    const now = Date.now();
    if (now - lastErrorLog < 10_000) return;
    lastErrorLog = now;
    log.warn({ err }, msg);
  };

  async function reload(): Promise<void> {
    const next = await load();
    if (next.version === version || closed) return;
    const from = version;
    evaluator = next.evaluator;
    version = next.version;
    opts.onSwap?.(evaluator);
    log.info({ from, to: version, rules: evaluator.ruleCount }, 'ruleset swapped');
  }

  /** One reload at a time; a request during one runs another after it (it may have missed it). */
  function refresh(): Promise<void> {
    if (inFlight !== undefined) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          await reload();
        } while (again && !closed);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  const refreshLogged = (): void => {
    refresh().catch((err: unknown) =>
      logError(err, 'reloading the ruleset failed; keeping the current one'),
    );
  };

  const unwatch = await store.watch((v) => {
    if (v === null || v !== version) refreshLogged();
  });
  const timer = setInterval(() => {
    store
      .activeVersion()
      .then((v) => {
        if (v !== null && v !== version) {
          log.warn({ active: v, loaded: version }, 'missed a ruleset notification; reloading');
          refreshLogged();
        }
      })
      .catch((err: unknown) => logError(err, 'checking the active ruleset version failed'));
  }, pollIntervalMs);
  timer.unref();

  return {
    current: () => evaluator,
    version: () => version,
    refresh,
    async close() {
      closed = true;
      clearInterval(timer);
      await unwatch();
      await inFlight?.catch(() => undefined);
    },
  };
}
