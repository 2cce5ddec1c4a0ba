import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRiskFlag, flagIdFor } from '../../../src/domain/flag.ts';
import { flagSchemaValidator } from '../../helpers/flag-schema.ts';

const source = {
  transaction: {
    transaction_id: 'txn_002',
    account_id: 'acct_7',
    timestamp: '2024-01-15T10:14:00Z',
  },
  response: {
    decision: 'decline' as const,
    risk_score: 85,
    reasons: [{ rule: 'high-amount', score: 85, description: 'amount far above the average' }],
    anomaly_score: null,
    ruleset_version: '3',
    model_version: null,
    evaluated_at: '2026-11-21T10:00:00.123Z',
  },
};

describe('risk flags (DESIGN.md §4.7)', () => {
  test('flag_id is a UUIDv5 of the transaction_id (values from Python uuid.uuid5)', () => {
    assert.equal(flagIdFor('txn_002'), 'f39ada0b-f49e-5730-bc65-7276dd89d7c1');
    assert.equal(flagIdFor('tx-é✓'), '94f758a1-3fc8-53af-abc6-ee8ba38150e8');
    assert.notEqual(flagIdFor('txn_002'), flagIdFor('txn_003'));
  });

  test('a flag carries the fields of risk.flag.v1 and matches its JSON Schema', () => {
    const flag = buildRiskFlag(source);
    assert.deepEqual(flag, {
      schema: 'risk.flag.v1',
      flag_id: 'f39ada0b-f49e-5730-bc65-7276dd89d7c1',
      transaction_id: 'txn_002',
      account_id: 'acct_7',
      decision: 'decline',
      risk_score: 85,
      reasons: [{ rule: 'high-amount', score: 85, description: 'amount far above the average' }],
      anomaly_score: null,
      ruleset_version: '3',
      model_version: null,
      event_time: '2024-01-15T10:14:00Z',
      scored_at: '2026-11-21T10:00:00.123Z',
    });
    assert.equal(flagSchemaValidator()(flag), null);
  });

  test('an approved answer has no flag', () => {
    assert.equal(
      buildRiskFlag({ ...source, response: { ...source.response, decision: 'approve' } }),
      null,
    );
  });

  test('the schema refuses what consumers must never get', () => {
    const validate = flagSchemaValidator();
    const flag = buildRiskFlag(source);
    assert.notEqual(validate({ ...flag, decision: 'approve' }), null);
    assert.notEqual(validate({ ...flag, flag_id: 'not-a-uuid' }), null);
    assert.notEqual(validate({ ...flag, extra: 1 }), null);
  });
});
