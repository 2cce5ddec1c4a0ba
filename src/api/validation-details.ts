import { ISO_3166_ALPHA2 } from '../domain/countries.ts';
import { ISO_4217_ALPHA3 } from '../domain/currencies.ts';
import type { ErrorDetail } from '../domain/errors.ts';
import { SAFE_FREE_TEXT_PATTERN, SAFE_ID_PATTERN, SAFE_TEXT_PATTERN } from '../domain/text.ts';

/** Plain words for the checks whose ajv message would only repeat a pattern or a list. */
function plainMessage(i: AjvIssue): string | undefined {
  if (i.keyword === 'format' && i.params.format === 'event-time') {
    return 'must be an RFC 3339 date-time (e.g. 2024-01-15T10:00:00Z) on the calendar, between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, without a leap second';
  }
  if (i.keyword === 'pattern' && i.params.pattern === SAFE_ID_PATTERN) {
    return 'must not be blank nor contain control, line-separator or bidi characters or lone surrogates';
  }
  if (
    i.keyword === 'pattern' &&
    (i.params.pattern === SAFE_TEXT_PATTERN || i.params.pattern === SAFE_FREE_TEXT_PATTERN)
  ) {
    return 'must not contain control, line-separator or bidi characters or lone surrogates';
  }
  if (i.keyword === 'enum' && i.params.allowedValues === ISO_3166_ALPHA2) {
    return 'must be an ISO 3166-1 alpha-2 country code (upper case, e.g. US)';
  }
  if (i.keyword === 'enum' && i.params.allowedValues === ISO_4217_ALPHA3) {
    return 'must be an ISO 4217 currency code (upper case, e.g. USD)';
  }
  return undefined;
}

export interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Names the field of each schema violation the way a caller would look for it: `/amount`. */
export function describeValidation(issues: readonly AjvIssue[], prefix = ''): ErrorDetail[] {
  return issues.map((i) => {
    if (i.keyword === 'additionalProperties') {
      return {
        field: `${i.instancePath}/${String(i.params.additionalProperty)}`,
        message: 'unknown field',
      };
    }
    if (i.keyword === 'required') {
      return {
        field: `${i.instancePath}/${String(i.params.missingProperty)}`,
        message: 'is required',
      };
    }
    return {
      field: `${prefix}${i.instancePath}` || '/',
      message: plainMessage(i) ?? i.message ?? i.keyword,
    };
  });
}
