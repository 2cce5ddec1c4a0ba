import { RiskError } from '../../domain/errors.ts';
import { parseEventTime } from '../../domain/event-time.ts';

/**
 * The `[from, to)` of a query whose schema has checked both as event times: `to` defaults to
 * now and `from` to `defaultSpanMs` before `to`; `from` not before `to` is a 400.
 */
export function timeRangeOf(
  query: { from?: string; to?: string },
  nowMs: number,
  defaultSpanMs: number,
): { fromMs: number; toMs: number } {
  const toMs = query.to === undefined ? nowMs : (parseEventTime(query.to) ?? NaN);
  const fromMs =
    query.from === undefined ? toMs - defaultSpanMs : (parseEventTime(query.from) ?? NaN);
  if (!(fromMs < toMs))
    throw new RiskError('RISK_ERR_VALIDATION', '/from: must be before to', [
      { field: '/from', message: 'must be before to' },
    ]);
  return { fromMs, toMs };
}
