import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../../src/app/build-app.ts';
import { parseGbdtArtifact } from '../../../src/domain/gbdt/artifact.ts';
import { bindGbdtModel } from '../../../src/domain/gbdt/fraud-model.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * The service with FRAUD_MODEL_PATH: the parity fixture's LightGBM model (features log_amount,
 * account.count_1h, attributes.score, attributes.kind=a) and one rule on fraud_probability.
 */
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/gbdt/parity.json', import.meta.url), 'utf8'),
) as { models: Array<{ artifact: unknown }> };
const artifact = fixture.models[0]!.artifact;
const dir = mkdtempSync(join(tmpdir(), 'risk-fraud-model-'));
const modelFile = join(dir, 'fraud.json');
writeFileSync(modelFile, JSON.stringify(artifact));
const rulesDir = join(dir, 'rules');
mkdirSync(rulesDir);
const THRESHOLD = 0.5;
writeFileSync(
  join(rulesDir, 'fraud.json'),
  JSON.stringify([
    {
      name: 'fraud-probability-high',
      conditions: {
        all: [{ fact: 'fraud_probability', operator: 'greaterThanInclusive', value: THRESHOLD }],
      },
      event: { type: 'risk', params: { score: 90, description: 'the fraud model says fraud' } },
    },
  ]),
);

const apps: App[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});
async function app(env: Record<string, string>): Promise<App> {
  const a = await buildTestApp({ RULES_DIR: rulesDir, MODEL_PATH: 'none', ...env });
  apps.push(a);
  return a;
}

const parsed = parseGbdtArtifact(artifact);
assert.ok(parsed.ok);
const model = bindGbdtModel(parsed.model);

interface Answer {
  decision: string;
  reasons: Array<{ rule: string }>;
  explanation?: Array<{ rule: string; conditions: unknown }>;
}

describe('the fraud model in scoring', { timeout: 120_000 }, () => {
  const risky = { amount: 900, attributes: { score: 3, kind: 'b' } };
  const plain = { amount: 2, attributes: { score: -3, kind: 'a' } };

  test('a rule on fraud_probability fires exactly when the model says so', async () => {
    const a = await app({ FRAUD_MODEL_PATH: modelFile });
    for (const [i, over] of [risky, plain].entries()) {
      const tx = makeTx({ account_id: `fm-${i}`, ...over });
      // The model as the service computes it: count_1h is 1 (this transaction only).
      const expected = model.score(tx, { 'account.count_1h': 1 });
      const res = await postScore(a, tx);
      assert.equal(res.status, 200);
      const b = res.body as unknown as Answer;
      const fired = b.reasons.some((r) => r.rule === 'fraud-probability-high');
      assert.equal(fired, expected >= THRESHOLD, `probability ${expected}`);
      assert.equal(b.decision, expected >= THRESHOLD ? 'decline' : 'approve');
    }
    // The two transactions fall on both sides of the threshold: the check above can fail.
    const pRisky = model.score(makeTx(risky), { 'account.count_1h': 1 });
    const pPlain = model.score(makeTx(plain), { 'account.count_1h': 1 });
    assert.ok(pRisky >= THRESHOLD && pPlain < THRESHOLD, `${pRisky} ${pPlain}`);
  });

  test('the explanation shows the probability the rule compared', async () => {
    const a = await app({ FRAUD_MODEL_PATH: modelFile });
    const tx = makeTx({ account_id: 'fm-explain', ...risky });
    const res = await a.http.inject({
      method: 'POST',
      url: '/v1/score?explain=true',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(tx),
    });
    const text = res.body;
    const expected = model.score(tx, { 'account.count_1h': 1 });
    assert.ok(text.includes(String(expected)), text);
  });

  test('a fraud model uploaded and promoted through the admin API drives the fact', async () => {
    const ADMIN = 'fraud-model-admin-token';
    const a = await app({ ADMIN_TOKEN: ADMIN });
    const admin = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const res = await a.http.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${ADMIN}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
    };
    const decide = async (id: string) => {
      const res = await postScore(a, makeTx({ account_id: id, ...risky }));
      return (res.body as unknown as Answer).decision;
    };
    // No fraud model yet: the rule cannot fire.
    assert.equal(await decide('fm-api-0'), 'approve');
    const up = await admin('POST', '/v1/models', artifact);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const uploaded = up.body.model as { id: number; role: string; version: string };
    assert.deepEqual([uploaded.role, uploaded.version], ['fraud', model.version]);
    // Uploaded is not active.
    assert.equal(await decide('fm-api-1'), 'approve');
    const promoted = await admin('POST', `/v1/models/${uploaded.id}/promote`);
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(await decide('fm-api-2'), 'decline');
    const view = await admin('GET', '/v1/models');
    const fraud = (view.body.roles as Array<{ role: string; active: { id: number } | null }>).find(
      (r) => r.role === 'fraud',
    );
    assert.equal(fraud?.active?.id, uploaded.id);
  });

  test("FRAUD_MODEL_PATH seeds the registry's fraud role", async () => {
    const ADMIN = 'fraud-model-seed-token';
    const a = await app({ FRAUD_MODEL_PATH: modelFile, ADMIN_TOKEN: ADMIN });
    const res = await a.http.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const { roles } = res.json<{
      roles: Array<{ role: string; active: { version: string; source: string } | null }>;
    }>();
    const fraud = roles.find((r) => r.role === 'fraud');
    assert.deepEqual([fraud?.active?.version, fraud?.active?.source], [model.version, 'seed']);
  });

  test('without FRAUD_MODEL_PATH the fact is null and the rule never fires', async () => {
    const a = await app({});
    const res = await postScore(a, makeTx({ account_id: 'fm-none', ...risky }));
    const b = res.body as unknown as Answer;
    assert.equal(res.status, 200);
    assert.deepEqual(b.reasons, []);
  });

  test('a bad FRAUD_MODEL_PATH file fails the start with one clear message', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'risk-gbdt/2' }));
    await assert.rejects(app({ FRAUD_MODEL_PATH: bad }), {
      message: `invalid fraud model artifact ${bad}: format: "risk-gbdt/2" is not supported; expected risk-gbdt/1`,
    });
    await assert.rejects(app({ FRAUD_MODEL_PATH: join(dir, 'missing.json') }), {
      message: `cannot read fraud model file ${join(dir, 'missing.json')}`,
    });
  });
});
