import { resolvedCaseEvent } from '../../domain/case-event.ts';
import type { Case, CaseStatus, Label, PerformanceCounts } from '../../domain/outcomes.ts';
import type { DecisionLogStore, LabelEvent } from '../../pipeline/decision-log.ts';
import { caseRefusal, caseRefusals } from '../../pipeline/decision-log.ts';
import type { Database, Queryable } from './database.ts';
import { insertPgCaseEvent } from './pg-case-event-outbox.ts';

// One statement per batch: the records as one JSON parameter, unpacked by the server.
const APPEND = `
  INSERT INTO risk_decisions (transaction_id, event_time_ms, account_id, decision, risk_score,
                              rules, shadow_rules, ruleset_version)
  SELECT r.transaction_id, r.event_time_ms, r.account_id, r.decision, r.risk_score,
         ARRAY(SELECT jsonb_array_elements_text(r.rules)),
         ARRAY(SELECT jsonb_array_elements_text(r.shadow_rules)),
         r.ruleset_version
  FROM jsonb_to_recordset($1::jsonb) AS r(transaction_id text, event_time_ms bigint,
       account_id text, decision text, risk_score smallint, rules jsonb, shadow_rules jsonb,
       ruleset_version text)
  ON CONFLICT (transaction_id) DO NOTHING`;

// Labels in their order (ordinality), the last per transaction made current, the ids the log
// has reported back, all in one statement.
const PUT_LABELS = `
  WITH input AS (
    SELECT l.transaction_id, l.label, coalesce(l.source, '') AS source,
           coalesce(l.reported_at, $2::timestamptz) AS reported_at, o.n
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS o(item, n),
         jsonb_to_record(o.item) AS l(transaction_id text, label text, source text,
                                      reported_at timestamptz)
  ), inserted AS (
    INSERT INTO risk_labels (transaction_id, label, source, reported_at, received_at)
    SELECT transaction_id, label, source, reported_at, $2::timestamptz FROM input ORDER BY n
    RETURNING id, transaction_id, label
  ), latest AS (
    SELECT DISTINCT ON (transaction_id) transaction_id, label, id
    FROM inserted ORDER BY transaction_id, id DESC
  ), current AS (
    INSERT INTO risk_label_current (transaction_id, label, label_id)
    SELECT transaction_id, label, id FROM latest
    ON CONFLICT (transaction_id) DO UPDATE SET label = excluded.label, label_id = excluded.label_id
  )
  SELECT i.transaction_id, EXISTS (
           SELECT 1 FROM risk_decisions d WHERE d.transaction_id = i.transaction_id) AS known
  FROM input i ORDER BY i.n`;

const PERFORMANCE = `
  WITH d AS (
    SELECT d.transaction_id, d.decision, d.rules, d.shadow_rules, c.label
    FROM risk_decisions d LEFT JOIN risk_label_current c USING (transaction_id)
    WHERE d.event_time_ms >= $1 AND d.event_time_ms < $2
  ), hits AS (
    SELECT d.transaction_id, r.rule, false AS shadow, d.label FROM d, unnest(d.rules) AS r(rule)
    UNION
    SELECT d.transaction_id, r.rule, true, d.label FROM d, unnest(d.shadow_rules) AS r(rule)
  )
  SELECT
    (SELECT json_build_object(
       'transactions', count(*),
       'labelled', count(label),
       'frauds', count(*) FILTER (WHERE label = 'fraud'),
       'flagged', count(*) FILTER (WHERE decision <> 'approve'),
       'labelled_flagged', count(label) FILTER (WHERE decision <> 'approve'),
       'fraud_flagged', count(*) FILTER (WHERE decision <> 'approve' AND label = 'fraud'))
     FROM d) AS totals,
    (SELECT coalesce(json_agg(json_build_object(
       'rule', rule, 'shadow', shadow, 'hits', hits, 'labelled_hits', labelled_hits,
       'fraud_hits', fraud_hits)), '[]'::json)
     FROM (SELECT rule, shadow, count(*) AS hits, count(label) AS labelled_hits,
                  count(*) FILTER (WHERE label = 'fraud') AS fraud_hits
           FROM hits GROUP BY rule, shadow) r) AS rules`;

// In the same transaction as the decisions: a case for each record that names one.
const OPEN_CASES = `
  INSERT INTO risk_cases (case_id, transaction_id, status, decision, risk_score, reasons)
  SELECT r.case_id, r.transaction_id, 'open', r.decision, r.risk_score,
         ARRAY(SELECT jsonb_array_elements_text(r.rules))
  FROM jsonb_to_recordset($1::jsonb) AS r(case_id uuid, transaction_id text, decision text,
       risk_score smallint, rules jsonb)
  WHERE r.case_id IS NOT NULL
  ON CONFLICT DO NOTHING`;

const CASE_COLUMNS = `case_id::text, transaction_id, status, decision, risk_score, reasons,
  opened_at, assignee, claimed_at, outcome, comment, resolved_at`;

interface CaseRow {
  case_id: string;
  transaction_id: string;
  status: CaseStatus;
  decision: Case['decision'];
  risk_score: number;
  reasons: string[];
  opened_at: Date;
  assignee: string | null;
  claimed_at: Date | null;
  outcome: Label | null;
  comment: string | null;
  resolved_at: Date | null;
}

function caseOf(r: CaseRow): Case {
  return {
    case_id: r.case_id,
    transaction_id: r.transaction_id,
    status: r.status,
    decision: r.decision,
    risk_score: r.risk_score,
    reasons: r.reasons,
    opened_at: r.opened_at.toISOString(),
    ...(r.assignee !== null && { assignee: r.assignee }),
    ...(r.claimed_at !== null && { claimed_at: r.claimed_at.toISOString() }),
    ...(r.outcome !== null && { outcome: r.outcome }),
    ...(r.comment !== null && { comment: r.comment }),
    ...(r.resolved_at !== null && { resolved_at: r.resolved_at.toISOString() }),
  };
}

/** The case, locked for the rest of the transaction (claims and resolutions serialise). */
async function lockedCase(tx: Queryable, caseId: string): Promise<Case> {
  const [row] = await tx.query<CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM risk_cases WHERE case_id = $1::uuid FOR UPDATE`,
    [caseId],
  );
  if (row === undefined) throw caseRefusals.notFound(caseId);
  return caseOf(row);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The account of a case's transaction (the case event's key). The decision is written in the
 * transaction that opens the case, so it is there; '' only if a row was removed by hand.
 */
async function accountOf(tx: Queryable, transactionId: string): Promise<string> {
  const [row] = await tx.query<{ account_id: string }>(
    'SELECT account_id FROM risk_decisions WHERE transaction_id = $1',
    [transactionId],
  );
  return row?.account_id ?? '';
}

/**
 * The decision log in PostgreSQL (migrations.ts, step 4). A resolution also writes the case's
 * `resolved` event to risk_case_event_outbox in its own transaction (step 7).
 */
export function createPgDecisionLog(opts: { db: Database }): DecisionLogStore {
  const { db } = opts;
  return {
    async append(records) {
      if (records.length === 0) return;
      const json = JSON.stringify(records);
      if (!records.some((r) => r.case_id !== undefined)) {
        await db.query(APPEND, [json]);
        return;
      }
      await db.transaction(async (tx) => {
        await tx.query(APPEND, [json]);
        await tx.query(OPEN_CASES, [json]);
      });
    },
    async listCases(status, limit) {
      const rows = await db.query<CaseRow>(
        `SELECT ${CASE_COLUMNS} FROM risk_cases WHERE status = $1 ORDER BY seq LIMIT $2`,
        [status, limit],
      );
      return rows.map(caseOf);
    },
    async getCase(caseId) {
      if (!UUID.test(caseId)) return undefined;
      const [row] = await db.query<CaseRow>(
        `SELECT ${CASE_COLUMNS} FROM risk_cases WHERE case_id = $1::uuid`,
        [caseId],
      );
      return row === undefined ? undefined : caseOf(row);
    },
    async claimCase(caseId, actor, nowMs) {
      if (!UUID.test(caseId)) throw caseRefusals.notFound(caseId);
      return db.transaction(async (tx) => {
        const c = await lockedCase(tx, caseId);
        const refusal = caseRefusal(c, actor);
        if (refusal !== null) throw refusal;
        if (c.status === 'claimed') return c;
        await tx.query(
          `UPDATE risk_cases SET status = 'claimed', assignee = $2, claimed_at = $3
           WHERE case_id = $1::uuid`,
          [caseId, actor, new Date(nowMs).toISOString()],
        );
        return lockedCase(tx, caseId);
      });
    },
    async resolveCase(caseId, actor, outcome, comment, nowMs) {
      if (!UUID.test(caseId)) throw caseRefusals.notFound(caseId);
      const at = new Date(nowMs).toISOString();
      return db.transaction(async (tx) => {
        const c = await lockedCase(tx, caseId);
        const refusal = caseRefusal(c, actor);
        if (refusal !== null) throw refusal;
        await tx.query(
          `UPDATE risk_cases SET status = 'resolved', assignee = $2,
             claimed_at = coalesce(claimed_at, $3), outcome = $4, comment = $5, resolved_at = $3
           WHERE case_id = $1::uuid`,
          [caseId, actor, at, outcome, comment],
        );
        await tx.query(PUT_LABELS, [
          JSON.stringify([{ transaction_id: c.transaction_id, label: outcome, source: 'case' }]),
          at,
        ]);
        const resolved = await lockedCase(tx, caseId);
        await insertPgCaseEvent(
          tx,
          resolvedCaseEvent(resolved, await accountOf(tx, c.transaction_id)),
        );
        return resolved;
      });
    },
    async caseStats() {
      const [row] = await db.query<{ open: number; claimed: number; oldest: Date | null }>(
        `SELECT (count(*) FILTER (WHERE status = 'open'))::int AS open,
                (count(*) FILTER (WHERE status = 'claimed'))::int AS claimed,
                min(opened_at) AS oldest
         FROM risk_cases WHERE status <> 'resolved'`,
      );
      return {
        open: row?.open ?? 0,
        claimed: row?.claimed ?? 0,
        oldest_unresolved_ms: row?.oldest == null ? null : row.oldest.getTime(),
      };
    },
    async putLabels(labels, receivedAtMs) {
      if (labels.length === 0) return { accepted: 0, matched: 0, unmatched: [] };
      const rows = await db.query<{ transaction_id: string; known: boolean }>(PUT_LABELS, [
        JSON.stringify(labels),
        new Date(receivedAtMs).toISOString(),
      ]);
      const unmatched = rows.filter((r) => !r.known).map((r) => r.transaction_id);
      return { accepted: labels.length, matched: rows.length - unmatched.length, unmatched };
    },
    async currentLabels(ids) {
      if (ids.length === 0) return {};
      const rows = await db.query<{ transaction_id: string; label: Label }>(
        'SELECT transaction_id, label FROM risk_label_current WHERE transaction_id = ANY($1::text[])',
        [ids],
      );
      return Object.fromEntries(rows.map((r) => [r.transaction_id, r.label]));
    },
    async labelHistory(id) {
      const rows = await db.query<{
        label: Label;
        source: string;
        reported_at: Date;
        received_at: Date;
      }>(
        'SELECT label, source, reported_at, received_at FROM risk_labels WHERE transaction_id = $1 ORDER BY id',
        [id],
      );
      return rows.map((r): LabelEvent => ({
        transaction_id: id,
        label: r.label,
        source: r.source,
        reported_at: r.reported_at.toISOString(),
        received_at: r.received_at.toISOString(),
      }));
    },
    async performance(fromMs, toMs) {
      const [row] = await db.query<{
        totals: Omit<PerformanceCounts, 'rules'>;
        rules: PerformanceCounts['rules'];
      }>(PERFORMANCE, [fromMs, toMs]);
      if (row === undefined) throw new Error('the performance query returned no row');
      return { ...row.totals, rules: row.rules };
    },
  };
}
