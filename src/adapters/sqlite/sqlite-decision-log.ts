import type { Label, PerformanceCounts, RuleCounts } from '../../domain/outcomes.ts';
import type { DecisionLogStore, LabelEvent } from '../../pipeline/decision-log.ts';
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

/** The decision log in the embedded SQLite file (see sqlite-migrations.ts, step 4). */
export function createSqliteDecisionLog(opts: {
  db: SqliteDatabase;
  now?: () => number;
}): DecisionLogStore {
  const { db } = opts;
  const now = opts.now ?? Date.now;
  return {
    append(records) {
      const at = now();
      db.transaction(() => {
        const insert = db.statement(INSERT_DECISION);
        for (const r of records)
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
