import type { Rule } from './types.ts';

/** JSON with keys in a fixed order: two equal rules give the same text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface RuleChange {
  name: string;
  kind: 'added' | 'removed' | 'changed';
  before?: Rule;
  after?: Rule;
}

/** Rule by rule, matched by name: what `to` adds, removes and changes against `from`. */
export function diffRulesets(
  from: readonly Rule[],
  to: readonly Rule[],
): { changes: RuleChange[]; unchanged: number } {
  const before = new Map(from.map((r) => [r.name, r]));
  const after = new Map(to.map((r) => [r.name, r]));
  const changes: RuleChange[] = [];
  let unchanged = 0;
  for (const r of to) {
    const old = before.get(r.name);
    if (old === undefined) changes.push({ name: r.name, kind: 'added', after: r });
    else if (canonical(old) !== canonical(r))
      changes.push({ name: r.name, kind: 'changed', before: old, after: r });
    else unchanged += 1;
  }
  for (const r of from)
    if (!after.has(r.name)) changes.push({ name: r.name, kind: 'removed', before: r });
  return { changes, unchanged };
}
