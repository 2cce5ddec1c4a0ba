import { parser } from '@prometheus-io/lezer-promql';

/** A series selector of a PromQL expression: `name{label op "value", ...}`. */
export interface PromqlSelector {
  /** The metric name: the identifier before `{`, or the `__name__="..."` matcher. */
  name: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

/**
 * The series selectors of a PromQL expression, read with Prometheus' own grammar
 * (@prometheus-io/lezer-promql, the parser of Prometheus' web UI), so that function names,
 * aggregation labels, `on`/`by` lists and string arguments are never taken for metric names.
 * Throws on a syntax error, and on selectors this check cannot name (a `__name__` regex, the
 * quoted UTF-8 name syntax): a query must not slip through unchecked.
 */
export function promqlSelectors(expr: string): PromqlSelector[] {
  const tree = parser.parse(expr);
  const selectors: PromqlSelector[] = [];
  const problems: string[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        problems.push(
          `syntax error at offset ${ref.from}: ${JSON.stringify(expr.slice(ref.from, ref.from + 20))}`,
        );
        return;
      }
      if (ref.name === 'QuotedLabelName' || ref.name === 'QuotedLabelMatcher') {
        problems.push(`quoted names are not checked: ${expr.slice(ref.from, ref.to)}`);
        return;
      }
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const identifier = node.getChild('Identifier');
      const matchers = (
        node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []
      ).map((m) => {
        const part = (name: string) => {
          const child = m.getChild(name);
          return child === null ? '' : expr.slice(child.from, child.to);
        };
        return {
          label: part('LabelName'),
          op: part('MatchOp'),
          value: unquote(part('StringLiteral')),
        };
      });
      const byName = matchers.find((m) => m.label === '__name__');
      if (byName !== undefined && byName.op !== '=') {
        problems.push(
          `a __name__ ${byName.op} matcher is not checked: ${expr.slice(ref.from, ref.to)}`,
        );
        return;
      }
      const name = identifier !== null ? expr.slice(identifier.from, identifier.to) : byName?.value;
      if (name === undefined) {
        problems.push(`a selector without a metric name: ${expr.slice(ref.from, ref.to)}`);
        return;
      }
      selectors.push({ name, matchers: matchers.filter((m) => m.label !== '__name__') });
    },
  });
  if (problems.length > 0) throw new Error(`${problems.join('; ')} in ${expr}`);
  return selectors;
}

/** A PromQL string literal's value: "..." and '...' with Go escapes, `...` raw. */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  if (literal.startsWith("'")) {
    return JSON.parse(
      `"${literal.slice(1, -1).replaceAll('"', '\\"').replaceAll("\\'", "'")}"`,
    ) as string;
  }
  return JSON.parse(literal) as string;
}

/**
 * The metric names a Prometheus text exposition declares (its `# TYPE` lines), with the series a
 * histogram or summary is exposed as: `_bucket` (histogram), `_sum` and `_count`.
 */
export function exposedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (m === null) continue;
    const [, name = '', type] = m;
    names.add(name);
    if (type === 'histogram') names.add(`${name}_bucket`);
    if (type === 'histogram' || type === 'summary') {
      names.add(`${name}_sum`);
      names.add(`${name}_count`);
    }
  }
  return names;
}
