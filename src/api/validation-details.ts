import type { ErrorDetail } from '../domain/errors.ts';

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
    return { field: `${prefix}${i.instancePath}` || '/', message: i.message ?? i.keyword };
  });
}
