import type { DecisionRecord, Label } from '../../domain/outcomes.ts';
import { countPerformance } from '../../domain/outcomes.ts';
import type { DecisionLogStore, LabelEvent } from '../../pipeline/decision-log.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The decision log in memory (EMBEDDED_STORE=memory, and tests): lost at exit. */
export function createMemoryDecisionLog(): DecisionLogStore {
  const decisions = new Map<string, DecisionRecord>();
  const history = new Map<string, LabelEvent[]>();
  const current = new Map<string, Label>();
  return {
    append(records) {
      for (const r of records)
        if (!decisions.has(r.transaction_id))
          decisions.set(r.transaction_id, {
            ...r,
            rules: [...r.rules],
            shadow_rules: [...r.shadow_rules],
          });
      return Promise.resolve();
    },
    putLabels(labels, receivedAtMs) {
      const unmatched: string[] = [];
      let matched = 0;
      for (const l of labels) {
        const event: LabelEvent = {
          transaction_id: l.transaction_id,
          label: l.label,
          source: l.source ?? '',
          reported_at: iso(l.reported_at === undefined ? receivedAtMs : Date.parse(l.reported_at)),
          received_at: iso(receivedAtMs),
        };
        const list = history.get(l.transaction_id) ?? [];
        list.push(event);
        history.set(l.transaction_id, list);
        current.set(l.transaction_id, l.label);
        if (decisions.has(l.transaction_id)) matched++;
        else unmatched.push(l.transaction_id);
      }
      return Promise.resolve({ accepted: labels.length, matched, unmatched });
    },
    labelHistory(id) {
      return Promise.resolve([...(history.get(id) ?? [])]);
    },
    performance(fromMs, toMs) {
      const inRange = [...decisions.values()].filter(
        (d) => d.event_time_ms >= fromMs && d.event_time_ms < toMs,
      );
      return Promise.resolve(countPerformance(inRange, (id) => current.get(id)));
    },
  };
}
