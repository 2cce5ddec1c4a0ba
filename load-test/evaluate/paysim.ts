import type { Transaction } from '../../src/domain/transaction.ts';
import { readCsvRecords } from '../model/read-lines.ts';
import type { EvalItem } from './pipeline.ts';

/** PaySim's simulated start: step 1 is the first hour. */
const START_MS = Date.parse('2026-02-02T00:00:00Z');
const COLUMNS = [
  'step',
  'type',
  'amount',
  'nameOrig',
  'oldbalanceOrg',
  'newbalanceOrig',
  'nameDest',
  'oldbalanceDest',
  'newbalanceDest',
  'isFraud',
  'isFlaggedFraud',
] as const;

/**
 * The PaySim sample (Lopez-Rojas et al.) as service transactions, in time order: `step` is the
 * hour (rows of one hour are spread evenly over it, in file order), the payer is the account,
 * the payee the merchant, the type the channel, and the balances go in `attributes`
 * (`balance_before`, `balance_after`, `payee_balance_before`, `payee_balance_after`), as a
 * payment system could send them. The label is `isFraud`; the scenario of a fraud is its type.
 */
export async function readPaysim(path: string): Promise<EvalItem[]> {
  const rows: Array<Record<(typeof COLUMNS)[number], string> & { line: number }> = [];
  let header: string[] | undefined;
  for await (const { cells, line } of readCsvRecords(path)) {
    if (header === undefined) {
      header = cells;
      const missing = COLUMNS.filter((c) => !cells.includes(c));
      if (missing.length > 0) throw new Error(`${path}: missing columns ${missing.join(', ')}`);
      continue;
    }
    if (cells.length !== header.length)
      throw new Error(`${path}:${line}: ${cells.length} fields, header has ${header.length}`);
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])) as Record<
      (typeof COLUMNS)[number],
      string
    >;
    rows.push({ ...row, line });
  }
  const num = (r: { line: number }, name: string, v: string): number => {
    const n = Number(v); // PaySim writes some amounts in exponent form (1.5E5): Number reads both
    if (!Number.isFinite(n)) throw new Error(`${path}:${r.line}: ${name} is not a number: "${v}"`);
    return n;
  };
  const perStep = new Map<number, number>();
  for (const r of rows) {
    const step = num(r, 'step', r.step);
    perStep.set(step, (perStep.get(step) ?? 0) + 1);
  }
  const seen = new Map<number, number>();
  const out = rows.map((r, i) => {
    const step = num(r, 'step', r.step);
    const k = seen.get(step) ?? 0;
    seen.set(step, k + 1);
    const at =
      START_MS + (step - 1) * 3_600_000 + Math.floor((k * 3_600_000) / (perStep.get(step) ?? 1));
    const fraud = r.isFraud === '1';
    const tx: Transaction = {
      transaction_id: `paysim-${i}`,
      timestamp: new Date(at).toISOString(),
      amount: Math.min(1e12, num(r, 'amount', r.amount)),
      currency: 'USD',
      account_id: r.nameOrig,
      merchant_id: r.nameDest,
      channel: r.type.toLowerCase(),
      attributes: {
        balance_before: num(r, 'oldbalanceOrg', r.oldbalanceOrg),
        balance_after: num(r, 'newbalanceOrig', r.newbalanceOrig),
        payee_balance_before: num(r, 'oldbalanceDest', r.oldbalanceDest),
        payee_balance_after: num(r, 'newbalanceDest', r.newbalanceDest),
      },
    };
    return {
      step,
      transaction: tx,
      label: { fraud, scenario: fraud ? r.type.toLowerCase() : null, campaign: null },
    };
  });
  return out.sort(
    (a, b) => Date.parse(a.transaction.timestamp) - Date.parse(b.transaction.timestamp),
  );
}
