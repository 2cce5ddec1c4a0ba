import type { CaseEvent } from '../../domain/case-event.ts';
import { resolvedCaseEvent } from '../../domain/case-event.ts';
import type { Case, DecisionRecord, Label } from '../../domain/outcomes.ts';
import { countPerformance } from '../../domain/outcomes.ts';
import type { DecisionLogStore, LabelEvent } from '../../pipeline/decision-log.ts';
import type { Outbox } from '../../pipeline/flag-outbox.ts';
import { caseRefusal, caseRefusals } from '../../pipeline/decision-log.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The decision log, labels and cases in memory (EMBEDDED_STORE=memory, tests): lost at exit.
 * A resolution appends the case's `resolved` event to `caseEvents` in the same synchronous
 * step (see memory-outbox.ts), as the SQL stores write it in the same transaction.
 */
export function createMemoryDecisionLog(
  now: () => number = Date.now,
  caseEvents?: Outbox<CaseEvent>,
): DecisionLogStore {
  const decisions = new Map<string, DecisionRecord>();
  const history = new Map<string, LabelEvent[]>();
  const current = new Map<string, Label>();
  /** In opening order: the queue. */
  const cases = new Map<string, Case>();
  const caseOfTransaction = new Set<string>();

  function label(
    transactionId: string,
    l: Label,
    source: string,
    reportedMs: number,
    atMs: number,
  ) {
    const list = history.get(transactionId) ?? [];
    list.push({
      transaction_id: transactionId,
      label: l,
      source,
      reported_at: iso(reportedMs),
      received_at: iso(atMs),
    });
    history.set(transactionId, list);
    current.set(transactionId, l);
  }

  const copy = (c: Case): Case => ({ ...c, reasons: [...c.reasons] });

  return {
    append(records) {
      for (const r of records) {
        if (decisions.has(r.transaction_id)) continue;
        const { case_id, ...d } = r;
        decisions.set(r.transaction_id, {
          ...d,
          rules: [...d.rules],
          shadow_rules: [...d.shadow_rules],
        });
        if (case_id !== undefined && !caseOfTransaction.has(r.transaction_id)) {
          caseOfTransaction.add(r.transaction_id);
          cases.set(case_id, {
            case_id,
            transaction_id: r.transaction_id,
            status: 'open',
            decision: r.decision,
            risk_score: r.risk_score,
            reasons: [...r.rules],
            opened_at: iso(now()),
          });
        }
      }
      return Promise.resolve();
    },
    putLabels(labels, receivedAtMs) {
      const unmatched: string[] = [];
      let matched = 0;
      for (const l of labels) {
        const reported = l.reported_at === undefined ? receivedAtMs : Date.parse(l.reported_at);
        label(l.transaction_id, l.label, l.source ?? '', reported, receivedAtMs);
        if (decisions.has(l.transaction_id)) matched++;
        else unmatched.push(l.transaction_id);
      }
      return Promise.resolve({ accepted: labels.length, matched, unmatched });
    },
    currentLabels(ids) {
      // fromEntries defines own properties: an id such as `__proto__` stays a key.
      const found = ids.flatMap((id) => {
        const l = current.get(id);
        return l === undefined ? [] : [[id, l] as const];
      });
      return Promise.resolve(Object.fromEntries(found));
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
    listCases(status, limit) {
      return Promise.resolve(
        [...cases.values()]
          .filter((c) => c.status === status)
          .slice(0, limit)
          .map(copy),
      );
    },
    getCase(caseId) {
      const c = cases.get(caseId);
      return Promise.resolve(c === undefined ? undefined : copy(c));
    },
    claimCase(caseId, actor, nowMs) {
      const c = cases.get(caseId);
      if (c === undefined) return Promise.reject(caseRefusals.notFound(caseId));
      const refusal = caseRefusal(c, actor);
      if (refusal !== null) return Promise.reject(refusal);
      if (c.status === 'open')
        Object.assign(c, { status: 'claimed', assignee: actor, claimed_at: iso(nowMs) });
      return Promise.resolve(copy(c));
    },
    resolveCase(caseId, actor, outcome, comment, nowMs) {
      const c = cases.get(caseId);
      if (c === undefined) return Promise.reject(caseRefusals.notFound(caseId));
      const refusal = caseRefusal(c, actor);
      if (refusal !== null) return Promise.reject(refusal);
      Object.assign(c, {
        status: 'resolved',
        assignee: actor,
        claimed_at: c.claimed_at ?? iso(nowMs),
        outcome,
        comment,
        resolved_at: iso(nowMs),
      });
      label(c.transaction_id, outcome, 'case', nowMs, nowMs);
      const resolved = copy(c);
      const account = decisions.get(c.transaction_id)?.account_id ?? '';
      return (caseEvents?.append(resolvedCaseEvent(resolved, account)) ?? Promise.resolve()).then(
        () => resolved,
      );
    },
    caseStats() {
      let open = 0;
      let claimed = 0;
      let oldest: number | null = null;
      for (const c of cases.values()) {
        if (c.status === 'resolved') continue;
        if (c.status === 'open') open++;
        else claimed++;
        const at = Date.parse(c.opened_at);
        if (oldest === null || at < oldest) oldest = at;
      }
      return Promise.resolve({ open, claimed, oldest_unresolved_ms: oldest });
    },
  };
}
