import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ISO_3166_ALPHA2 } from '../../../src/domain/countries.ts';
import { eventTimeProblem, parseEventTime } from '../../../src/domain/event-time.ts';
import { unsafeCharIn } from '../../../src/domain/text.ts';
import { eventTimeMs } from '../../../src/domain/transaction.ts';

describe('parseEventTime', () => {
  const accepted: Array<[string, number]> = [
    ['2024-01-15T10:00:00Z', Date.UTC(2024, 0, 15, 10)],
    ['2024-01-15t10:00:00z', Date.UTC(2024, 0, 15, 10)],
    ['2024-01-15T10:00:00.5Z', Date.UTC(2024, 0, 15, 10, 0, 0, 500)],
    ['2024-01-15T10:00:00.123456789Z', Date.UTC(2024, 0, 15, 10, 0, 0, 123)],
    ['2024-01-15T12:30:00+02:30', Date.UTC(2024, 0, 15, 10)],
    ['2024-01-15T05:00:00-05:00', Date.UTC(2024, 0, 15, 10)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['1970-01-01T00:00:00Z', 0],
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
  ];
  for (const [text, ms] of accepted) {
    test(`accepts ${text}`, () => assert.equal(parseEventTime(text), ms));
  }
  const refused: Array<[string, RegExp]> = [
    ['2016-12-31T23:59:60Z', /leap second/],
    ['0000-01-01T00:00:00Z', /between 1970/],
    ['1969-12-31T23:59:59.999Z', /between 1970/],
    ['9999-12-31T23:00:00-05:00', /between 1970/],
    ['2023-02-30T00:00:00Z', /calendar/],
    ['2023-02-29T00:00:00Z', /calendar/],
    ['1900-02-29T00:00:00Z', /calendar/],
    ['2024-04-31T00:00:00Z', /calendar/],
    ['2024-13-01T00:00:00Z', /calendar/],
    ['2024-00-10T00:00:00Z', /calendar/],
    ['2024-01-15T24:00:00Z', /time of day/],
    ['2024-01-15T10:60:00Z', /time of day/],
    ['2024-01-15T10:00:00+24:00', /offset/],
    ['2024-01-15T10:00:00', /RFC 3339/],
    ['2024-01-15 10:00:00Z', /RFC 3339/],
    ['2024-01-15T10:00Z', /RFC 3339/],
    ['+002024-01-15T10:00:00Z', /RFC 3339/],
    ['2024-01-15T10:00:00.Z', /RFC 3339/],
    ['15/01/2024 10:00', /RFC 3339/],
    ['', /RFC 3339/],
  ];
  for (const [text, why] of refused) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(parseEventTime(text), null);
      assert.match(eventTimeProblem(text) ?? '', why);
    });
  }
  test('eventTimeMs throws a validation error instead of returning NaN', () => {
    assert.throws(
      () => eventTimeMs({ timestamp: '2016-12-31T23:59:60Z' }),
      (e: unknown) => (e as { code?: string }).code === 'RISK_ERR_VALIDATION',
    );
  });
});

describe('unsafeCharIn', () => {
  const cases: Array<[string, string | null]> = [
    ['plain text, é ü 中文 😀', null],
    ['a\u0000b', 'U+0000'],
    ['a\u001fb', 'U+001F'],
    ['a\u007fb', 'U+007F'],
    ['a\u0085b', 'U+0085'],
    ['a\u2028b', 'U+2028'],
    ['a\u2029b', 'U+2029'],
    ['a\u202eb', 'U+202E'],
    ['a\u2066b', 'U+2066'],
    ['a\ud800b', 'U+D800'],
    ['a\udc00', 'U+DC00'],
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} → ${String(expected)}`, () =>
      assert.equal(unsafeCharIn(text), expected));
  }
});

describe('ISO_3166_ALPHA2', () => {
  test('holds the 249 assigned codes, none twice, each known to ICU as a region', () => {
    assert.equal(ISO_3166_ALPHA2.length, 249);
    assert.equal(new Set(ISO_3166_ALPHA2).size, 249);
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    for (const c of ISO_3166_ALPHA2) assert.ok(names.of(c), c);
  });
  test('refuses user-assigned and reserved codes', () => {
    for (const c of ['XX', 'XK', 'ZZ', 'AA', 'EU', 'UK', 'QO'])
      assert.ok(!ISO_3166_ALPHA2.includes(c), c);
  });
});
