import type { FiredRule, RiskEventParams } from './types.ts';

/** Builds the reason for a fired rule from its event params (score defaults to 0). */
export function toFired(
  rule: string,
  params: RiskEventParams | Record<string, unknown> | undefined,
): FiredRule {
  const p = (params ?? {}) as RiskEventParams;
  const fired: FiredRule = { rule, score: typeof p.score === 'number' ? p.score : 0 };
  if (p.action !== undefined) fired.action = p.action;
  if (p.description !== undefined) fired.description = p.description;
  if (p.shadow === true) fired.shadow = true;
  return fired;
}

/**
 * json-rules-engine reports rules of one priority in the order they happen to finish, which
 * depends on how deep their conditions are. Reasons are put in a stable order instead:
 * priority descending, then the rule's position in the ruleset.
 */
export function orderFired(
  fired: ReadonlyArray<FiredRule & { priority: number }>,
  position: ReadonlyMap<string, number>,
): FiredRule[] {
  return [...fired]
    .sort(
      (a, b) =>
        b.priority - a.priority || (position.get(a.rule) ?? 0) - (position.get(b.rule) ?? 0),
    )
    .map(({ priority: _priority, ...rest }) => rest);
}

/** Splits fired rules into those that act on the decision and shadow rules (reported only). */
export function partitionShadow(fired: readonly FiredRule[]): {
  acting: readonly FiredRule[];
  shadow: FiredRule[];
} {
  // The common case, no shadow hit, allocates nothing.
  if (!fired.some((f) => f.shadow === true)) return { acting: fired, shadow: [] };
  return {
    acting: fired.filter((f) => f.shadow !== true),
    shadow: fired.filter((f) => f.shadow === true),
  };
}
