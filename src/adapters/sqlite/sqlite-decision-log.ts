import { resolvedCaseEvent } from '../../domain/case-event.ts';
import type {
  Case,
  CaseStatus,
  Label,
  PerformanceCounts,
  RuleCounts,
} from '../../domain/outcomes.ts';
import type { DecisionLogStore, LabelEvent } from '../../pipeline/decision-log.ts';
import { caseRefusal, caseRefusals } from '../../pipeline/decision-log.ts';
import { insertSqliteCaseEvent } from './sqlite-case-event-outbox.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

const INSERT_DECISION = `
  INSERT INTO risk_decisions (transaction_id, event_time_ms, account_id, decision, risk_score,
                              rules, shadow_rules, ruleset_version, logged_at_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (transaction_id) DO NOTHING`;

const INSERT_LABEL = `
  INSERT INTO risk_labels (transaction_id, label, source, reported_at_ms, received_at_ms)
  VALUES (?, ?, ?, ?, ?)`;

const SET_CURRENT = `
  INSERT INTO risk_label_current (transaction_id, label, label_id) VALUES (?, ?, ?)
  ON CONFLICT (transaction_id) DO UPDATE SET label = excluded.label, label_id = excluded.label_id`;

const TOTALS = `
  SELECT count(*) AS transactions,
         count(c.label) AS labelled,
         count(*) FILTER (WHERE c.label = 'fraud') AS frauds,
         count(*) FILTER (WHERE d.decision <> 'approve') AS flagged,
         count(c.label) FILTER (WHERE d.decision <> 'approve') AS labelled_flagged,
         count(*) FILTER (WHERE d.decision <> 'approve' AND c.label = 'fraud') AS fraud_flagged
  FROM risk_decisions d LEFT JOIN risk_label_current c USING (transaction_id)
  WHERE d.event_time_ms >= ? AND d.event_time_ms < ?`;

// A rule counts once per transaction (UNION drops repeats), acting and shadow apart.
const BY_RULE = `
  WITH d AS (
    SELECT d.transaction_id, d.rules, d.shadow_rules, c.label
    FROM risk_decisions d LEFT JOIN risk_label_current c USING (transaction_id)
    WHERE d.event_time_ms >= ? AND d.event_time_ms < ?
  ), hits AS (
    SELECT d.transaction_id, r.value AS rule, 0 AS shadow, d.label FROM d, json_each(d.rules) r
    UNION
    SELECT d.transaction_id, r.value, 1, d.label FROM d, json_each(d.shadow_rules) r
  )
  SELECT rule, shadow, count(*) AS hits, count(label) AS labelled_hits,
         count(*) FILTER (WHERE label = 'fraud') AS fraud_hits
  FROM hits GROUP BY rule, shadow`;

const INSERT_CASE = `
  INSERT INTO risk_cases (case_id, transaction_id, status, decision, risk_score, reasons, opened_at_ms)
  VALUES (?, ?, 'open', ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;

const CASE_COLUMNS = `case_id, transaction_id, status, decision, risk_score, reasons, opened_at_ms,
  assignee, claimed_at_ms, outcome, comment, resolved_at_ms`;

interface CaseRow {
  case_id: string;
  transaction_id: string;
  status: CaseStatus;
  decision: Case['decision'];
  risk_score: number;
  reasons: string;
  opened_at_ms: number;
  assignee: string | null;
  claimed_at_ms: number | null;
  outcome: Label | null;
  comment: string | null;
  resolved_at_ms: number | null;
}

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** A synchronous store call as the port's promise: its throw becomes the rejection. */
function settled<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function caseOf(r: CaseRow): Case {
  return {
    case_id: r.case_id,
    transaction_id: r.transaction_id,
    status: r.status,
    decision: r.decision,
    risk_score: r.risk_score,
    reasons: JSON.parse(r.reasons) as string[],
    opened_at: isoOf(r.opened_at_ms),
    ...(r.assignee !== null && { assignee: r.assignee }),
    ...(r.claimed_at_ms !== null && { claimed_at: isoOf(r.claimed_at_ms) }),
    ...(r.outcome !== null && { outcome: r.outcome }),
    ...(r.comment !== null && { comment: r.comment }),
    ...(r.resolved_at_ms !== null && { resolved_at: isoOf(r.resolved_at_ms) }),
  };
}

/**
 * The decision log in the embedded SQLite file (see sqlite-migrations.ts, step 4). A
 * resolution also writes the case's `resolved` event to risk_case_event_outbox in its own
 * transaction (step 7).
 */
export function createSqliteDecisionLog(opts: {
  db: SqliteDatabase;
  now?: () => number;
}): DecisionLogStore {
  const { db } = opts;
  const now = opts.now ?? Date.now;
  const caseNow = (caseId: string): Case => {
    const row = db.get<CaseRow>(`SELECT ${CASE_COLUMNS} FROM risk_cases WHERE case_id = ?`, caseId);
    if (row === undefined) throw caseRefusals.notFound(caseId);
    return caseOf(row);
  };
  return {
    append(records) {
      const at = now();
      db.transaction(() => {
        const insert = db.statement(INSERT_DECISION);
        const openCase = db.statement(INSERT_CASE);
        for (const r of records) {
          if (r.case_id !== undefined)
            openCase.run(
              r.case_id,
              r.transaction_id,
              r.decision,
              r.risk_score,
              JSON.stringify(r.rules),
              at,
            );
          insert.run(
            r.transaction_id,
            r.event_time_ms,
            r.account_id,
            r.decision,
            r.risk_score,
            JSON.stringify(r.rules),
            JSON.stringify(r.shadow_rules),
            r.ruleset_version,
            at,
          );
        }
      });
      return Promise.resolve();
    },
    putLabels(labels, receivedAtMs) {
      const unmatched: string[] = [];
      let matched = 0;
      db.transaction(() => {
        const insert = db.statement(INSERT_LABEL);
        const current = db.statement(SET_CURRENT);
        const known = db.statement(
          'SELECT 1 AS known FROM risk_decisions WHERE transaction_id = ?',
        );
        for (const l of labels) {
          const reported = l.reported_at === undefined ? receivedAtMs : Date.parse(l.reported_at);
          const { lastInsertRowid } = insert.run(
            l.transaction_id,
            l.label,
            l.source ?? '',
            reported,
            receivedAtMs,
          );
          current.run(l.transaction_id, l.label, lastInsertRowid);
          if (known.get(l.transaction_id) !== undefined) matched++;
          else unmatched.push(l.transaction_id);
        }
      });
      return Promise.resolve({ accepted: labels.length, matched, unmatched });
    },
    listCases(status, limit) {
      const rows = db.all<CaseRow>(
        `SELECT ${CASE_COLUMNS} FROM risk_cases WHERE status = ? ORDER BY seq LIMIT ?`,
        status,
        limit,
      );
      return Promise.resolve(rows.map(caseOf));
    },
    getCase(caseId) {
      const row = db.get<CaseRow>(
        `SELECT ${CASE_COLUMNS} FROM risk_cases WHERE case_id = ?`,
        caseId,
      );
      return Promise.resolve(row === undefined ? undefined : caseOf(row));
    },
    claimCase(caseId, actor, nowMs) {
      return settled(() =>
        db.transaction(() => {
          const c = caseNow(caseId);
          const refusal = caseRefusal(c, actor);
          if (refusal !== null) throw refusal;
          if (c.status === 'open')
            db.run(
              `UPDATE risk_cases SET status = 'claimed', assignee = ?, claimed_at_ms = ? WHERE case_id = ?`,
              actor,
              nowMs,
              caseId,
            );
          return caseNow(caseId);
        }),
      );
    },
    resolveCase(caseId, actor, outcome, comment, nowMs) {
      return settled(() =>
        db.transaction(() => {
          const c = caseNow(caseId);
          const refusal = caseRefusal(c, actor);
          if (refusal !== null) throw refusal;
          db.run(
            `UPDATE risk_cases SET status = 'resolved', assignee = ?,
                 claimed_at_ms = coalesce(claimed_at_ms, ?), outcome = ?, comment = ?,
                 resolved_at_ms = ?
               WHERE case_id = ?`,
            actor,
            nowMs,
            outcome,
            comment,
            nowMs,
            caseId,
          );
          const { lastInsertRowid } = db
            .statement(INSERT_LABEL)
            .run(c.transaction_id, outcome, 'case', nowMs, nowMs);
          db.statement(SET_CURRENT).run(c.transaction_id, outcome, lastInsertRowid);
          const resolved = caseNow(caseId);
          // The decision is written with the case; '' only if a row was removed by hand.
          const account = db.get<{ account_id: string }>(
            'SELECT account_id FROM risk_decisions WHERE transaction_id = ?',
            c.transaction_id,
          );
          insertSqliteCaseEvent(db, resolvedCaseEvent(resolved, account?.account_id ?? ''), now());
          return resolved;
        }),
      );
    },
    caseStats() {
      const row = db.get<{ open: number; claimed: number; oldest: number | null }>(
        `SELECT count(*) FILTER (WHERE status = 'open') AS open,
                count(*) FILTER (WHERE status = 'claimed') AS claimed,
                min(opened_at_ms) AS oldest
         FROM risk_cases WHERE status <> 'resolved'`,
      );
      return Promise.resolve({
        open: row?.open ?? 0,
        claimed: row?.claimed ?? 0,
        oldest_unresolved_ms: row?.oldest ?? null,
      });
    },
    currentLabels(ids) {
      const get = db.statement('SELECT label FROM risk_label_current WHERE transaction_id = ?');
      // fromEntries defines own properties: an id such as `__proto__` stays a key.
      const found = ids.flatMap((id) => {
        const row = get.get(id) as { label: Label } | undefined;
        return row === undefined ? [] : [[id, row.label] as const];
      });
      return Promise.resolve(Object.fromEntries(found));
    },
    labelHistory(id) {
      const rows = db.all<{
        label: Label;
        source: string;
        reported_at_ms: number;
        received_at_ms: number;
      }>(
        'SELECT label, source, reported_at_ms, received_at_ms FROM risk_labels WHERE transaction_id = ? ORDER BY id',
        id,
      );
      return Promise.resolve(
        rows.map((r): LabelEvent => ({
          transaction_id: id,
          label: r.label,
          source: r.source,
          reported_at: new Date(r.reported_at_ms).toISOString(),
          received_at: new Date(r.received_at_ms).toISOString(),
        })),
      );
    },
    performance(fromMs, toMs) {
      const totals = db.get<Omit<PerformanceCounts, 'rules'>>(TOTALS, fromMs, toMs);
      const rules = db.all<{
        rule: string;
        shadow: number;
        hits: number;
        labelled_hits: number;
        fraud_hits: number;
      }>(BY_RULE, fromMs, toMs);
      return Promise.resolve({
        transactions: totals?.transactions ?? 0,
        labelled: totals?.labelled ?? 0,
        frauds: totals?.frauds ?? 0,
        flagged: totals?.flagged ?? 0,
        labelled_flagged: totals?.labelled_flagged ?? 0,
        fraud_flagged: totals?.fraud_flagged ?? 0,
        rules: rules.map((r): RuleCounts => ({ ...r, shadow: r.shadow === 1 })),
      });
    },
  };
}
