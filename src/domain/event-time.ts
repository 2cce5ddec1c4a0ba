/**
 * The one reading of a timestamp the service accepts: transaction event times (REST, gRPC,
 * backtests) and the time ranges of queries all go through `parseEventTime`.
 *
 * Accepted: RFC 3339 `date-time`, `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `±HH:MM`
 * (`T` and `Z` in either case, as RFC 3339 allows; 1–9 fraction digits, read to the
 * millisecond).
 *
 * Refused:
 * - dates that are not on the calendar (`2023-02-30`, `2024-13-01`, hour 24, minute 60);
 * - leap seconds (second `60`): JavaScript dates, the Redis velocity scores and PostgreSQL
 *   cannot all represent them, and guessing an instant for one would put two events in one
 *   millisecond; a sender that has one should send `23:59:59.999` instead;
 * - instants before 1970-01-01T00:00:00Z or after 9999-12-31T23:59:59.999Z (in UTC, after the
 *   offset is applied): every store (JavaScript dates, Redis sorted-set scores, PostgreSQL
 *   `timestamptz`) holds that range exactly.
 */

export const MIN_EVENT_TIME_MS = 0;
export const MAX_EVENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Why a timestamp is refused, for error details; null when it is accepted. */
export function eventTimeProblem(text: string): string | null {
  const r = read(text);
  return typeof r === 'number' ? null : r;
}

/** Epoch milliseconds of an accepted timestamp, or null when it is refused. */
export function parseEventTime(text: string): number | null {
  const ms = read(text);
  return typeof ms === 'number' ? ms : null;
}

/** As a string format check (ajv `formats`): true when `parseEventTime` accepts it. */
export function isEventTime(text: string): boolean {
  return typeof read(text) === 'number';
}

const NOT_RFC3339 = 'must be an RFC 3339 date-time such as 2024-01-15T10:00:00Z';

function read(text: string): number | string {
  const m = RFC3339.exec(text);
  if (m === null) return NOT_RFC3339;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
    return 'is not a date on the calendar';
  }
  if (second === 60) return 'leap seconds are not accepted (send 23:59:59.999)';
  if (hour > 23 || minute > 59 || second > 59) return 'is not a time of day';
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return 'has an offset that is not ±HH:MM';
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  d.setUTCFullYear(year);
  const ms = d.getTime() - offsetMin * 60_000;
  if (!(ms >= MIN_EVENT_TIME_MS && ms <= MAX_EVENT_TIME_MS)) {
    return 'must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';
  }
  return ms;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
