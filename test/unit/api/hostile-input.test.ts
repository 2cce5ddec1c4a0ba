import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { transactionToProto } from '../../../src/api/grpc/messages.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import { postScore } from '../../helpers/app.ts';
import type { GrpcTestServer } from '../../helpers/grpc.ts';
import { riskErrorOf, startGrpcApp } from '../../helpers/grpc.ts';
import type { App } from '../../../src/app/build-app.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * Hostile input that used to be answered 200 and then poisoned a store (PostgreSQL refused the
 * window row, Redis the velocity script): both doors must refuse it with a 400 /
 * INVALID_ARGUMENT naming the field, before anything is counted.
 */

let door: GrpcTestServer & { app: App };
before(async () => {
  door = await startGrpcApp();
});
after(() => door.close());

/** `restOnly`: a protobuf string is UTF-8, so a lone surrogate cannot cross the gRPC door. */
type Case = [name: string, over: Partial<Transaction>, field: string, restOnly?: true];
const cases: Case[] = [
  ['leap second', { timestamp: '2016-12-31T23:59:60Z' }, '/timestamp'],
  ['year 0000', { timestamp: '0000-01-01T00:00:00Z' }, '/timestamp'],
  ['before 1970', { timestamp: '1969-12-31T23:59:59Z' }, '/timestamp'],
  ['30 February', { timestamp: '2023-02-30T00:00:00Z' }, '/timestamp'],
  ['NUL in merchant_category', { merchant_category: 'a\u0000b' }, '/merchant_category'],
  ['DEL in channel', { channel: 'web\u007f' }, '/channel'],
  ['C1 control in merchant_id', { merchant_id: 'm\u0085' }, '/merchant_id'],
  ['line separator in device_id', { device_id: 'd\u2028' }, '/device_id'],
  ['bidi override in account_id', { account_id: 'acct\u202e1' }, '/account_id'],
  ['bidi isolate in card_id', { card_id: 'c\u2066' }, '/card_id'],
  ['lone surrogate in ip', { ip: '10.0.0.1\ud800' }, '/ip', true],
  ['blank transaction_id', { transaction_id: '   ' }, '/transaction_id'],
  ['blank account_id', { account_id: '\t' }, '/account_id'],
  ['NUL in an attribute value', { attributes: { note: 'a\u0000' } }, '/attributes/note'],
  ['attribute named toString', { attributes: { toString: 'x' } }, '/attributes'],
  ['attribute named constructor', { attributes: { constructor: 1 } }, '/attributes'],
  ['location XX', { location: 'XX' }, '/location'],
  ['location ZZZ', { location: 'ZZZ' }, '/location'],
  ['currency ZZ', { currency: 'ZZ' }, '/currency'],
  ['currency usd', { currency: 'usd' }, '/currency'],
  ['currency ZZZ (three letters, no currency)', { currency: 'ZZZ' }, '/currency'],
  ['currency XTS (the testing code)', { currency: 'XTS' }, '/currency'],
];

describe('hostile transactions are refused by both doors', () => {
  for (const [name, over, field, restOnly] of cases) {
    test(name, async () => {
      const tx = makeTx({ account_id: `hostile-${name}`, ...over });
      const rest = await postScore(door.app, tx);
      assert.equal(rest.status, 400, `REST ${name}: ${JSON.stringify(rest.body)}`);
      const err = (rest.body as { error: { code: string; details?: Array<{ field: string }> } })
        .error;
      assert.equal(err.code, 'RISK_ERR_VALIDATION');
      assert.ok(
        err.details?.some((d) => d.field.startsWith(field)),
        `REST ${name}: ${JSON.stringify(err.details)}`,
      );

      if (restOnly === true) return;
      const grpcTx = { ...tx, transaction_id: `${tx.transaction_id}-g` };
      if (over.transaction_id !== undefined) grpcTx.transaction_id = over.transaction_id;
      await assert.rejects(door.client.score(transactionToProto(grpcTx)), (e: unknown) => {
        const g = riskErrorOf(e);
        assert.equal(g.status, status.INVALID_ARGUMENT, `gRPC ${name}: ${g.message}`);
        assert.equal(g.code, 'RISK_ERR_VALIDATION');
        assert.ok(
          g.details.some((d) => d.field?.startsWith(field)),
          `gRPC ${name}`,
        );
        return true;
      });
    });
  }

  test('ordinary text and real codes still pass', async () => {
    const tx = makeTx({
      account_id: 'hostile-ok',
      merchant_category: 'café – 5812',
      location: 'DE',
      currency: 'EUR',
      attributes: { note: 'ünïcödé 😀' },
      timestamp: '2024-01-15T11:00:00+01:00',
    });
    assert.equal((await postScore(door.app, tx)).status, 200);
    const g = await door.client.score(
      transactionToProto({ ...tx, transaction_id: `${tx.transaction_id}-g` }),
    );
    assert.equal(g.response.transaction_id, `${tx.transaction_id}-g`);
  });

  test('the message says what is wrong with a timestamp', async () => {
    const res = await postScore(door.app, makeTx({ timestamp: '2016-12-31T23:59:60Z' }));
    assert.match(String(JSON.stringify(res.body)), /leap second/);
  });
});
