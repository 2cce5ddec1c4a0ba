import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../../src/app/build-app.ts';
import { SHIPPED_MODEL, modelDir, writeModelVersion } from '../../helpers/anomaly.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { makeTx } from '../../helpers/tx.ts';

const { dir, remove } = modelDir();
const apps: App[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  remove();
});
async function app(env: Record<string, string> = {}): Promise<App> {
  const a = await buildTestApp(env);
  apps.push(a);
  return a;
}

interface Answer {
  anomaly_score: number | null;
  model_version: string | null;
  decision: string;
  reasons: Array<{ rule: string }>;
}

describe('the anomaly model in scoring', () => {
  test('the shipped model is loaded at start and scores every transaction', async () => {
    const res = await postScore(await app(), makeTx({ account_id: 'am-1' }));
    const b = res.body as unknown as Answer;
    assert.equal(res.status, 200);
    assert.equal(b.model_version, 'tx-iforest-1.1.0');
    assert.ok(typeof b.anomaly_score === 'number' && b.anomaly_score > 0 && b.anomaly_score < 1);
  });

  test('anomaly_score is a fact for rules: a card-testing burst from a new device escalates', async () => {
    const a = await app();
    const common = { account_id: 'am-ct', card_id: 'c', ip: 'i', merchant_id: 'm', location: 'US' };
    for (let h = 5; h > 0; h--) {
      await postScore(a, makeTx({ ...common, device_id: 'home', amount: 40, at: -h * 3_600_000 }));
    }
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) {
      const tx = makeTx({
        ...common,
        device_id: 'new',
        amount: 1,
        merchant_id: `m${i}`,
        at: i * 30_000,
      });
      answers.push((await postScore(a, tx)).body as unknown as Answer);
    }
    const high = answers.filter((x) => (x.anomaly_score ?? 0) >= 0.7);
    assert.ok(high.length > 0, `scores: ${answers.map((x) => x.anomaly_score).join(', ')}`);
    for (const x of answers) {
      const fired = x.reasons.some((r) => r.rule === 'anomaly-score-high');
      assert.equal(fired, (x.anomaly_score ?? 0) >= 0.7, 'the rule fires exactly at its threshold');
    }
    assert.notEqual(answers.at(-1)?.decision, 'approve');
  });

  test('MODEL_PATH=none: no model, anomaly_score and model_version are null', async () => {
    const b = (await postScore(await app({ MODEL_PATH: 'none' }), makeTx()))
      .body as unknown as Answer;
    assert.equal(b.anomaly_score, null);
    assert.equal(b.model_version, null);
  });

  test('a missing or invalid MODEL_PATH fails the start, naming the file', async () => {
    const missing = join(dir, 'missing.json');
    await assert.rejects(
      app({ MODEL_PATH: missing }),
      new RegExp(`cannot read model file ${missing}`),
    );
    const bad = join(dir, 'bad.json');
    writeModelVersion(bad, '1', (m) => (m.params.trees = 3));
    await assert.rejects(app({ MODEL_PATH: bad }), /invalid model artifact .*bad\.json: trees/);
  });

  test('replacing the model file swaps model_version without a restart', async () => {
    const path = join(dir, 'live.json');
    copyFileSync(SHIPPED_MODEL, path);
    const a = await app({ MODEL_PATH: path });
    const version = async () =>
      ((await postScore(a, makeTx({ account_id: 'am-swap' }))).body as unknown as Answer)
        .model_version;
    assert.equal(await version(), 'tx-iforest-1.1.0');
    writeModelVersion(path, '1.0.1');
    await waitFor(async () => (await version()) === 'tx-iforest-1.0.1', 30_000, 'model swapped');
  });
});
