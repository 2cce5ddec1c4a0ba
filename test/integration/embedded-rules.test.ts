// Embedded mode (no DATABASE_URL): rule versions in SQLite under DATA_DIR survive a restart, and
// editing a file under the rules directory publishes it (an invalid edit is reported and
// ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app/build-app.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import { makeTx } from '../helpers/tx.ts';

const TOKEN = 'embedded-test-token-0123456789';

async function activeVersion(app: App): Promise<number> {
  const res = await app.http.inject({
    method: 'GET',
    url: '/v1/rules',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return res.json<{ version: number }>().version;
}

test(
  'embedded SQLite: file edits publish, invalid edits are ignored, versions survive a restart',
  { timeout: 90_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'risk-embedded-'));
    const rulesDir = mkdtempSync(join(tmpdir(), 'risk-rules-'));
    cpSync('rules', rulesDir, { recursive: true });
    const env = {
      EMBEDDED_STORE: 'sqlite',
      DATA_DIR: dataDir,
      RULES_DIR: rulesDir,
      ADMIN_TOKEN: TOKEN,
    };

    let app = await buildTestApp(env);
    try {
      assert.equal(await activeVersion(app), 1);
      const amountFile = join(rulesDir, 'amount.json');
      const original = readFileSync(amountFile, 'utf8');

      // An invalid edit: reported (log and metric) and ignored.
      writeFileSync(amountFile, original.replace('"fact": "amount"', '"fact": "amont"'));
      await waitFor(
        async () =>
          /risk_rules_dir_rejected_total 1\b/.test(
            (await app.http.inject({ url: '/metrics' })).body,
          ),
        20_000,
        'the invalid edit reported',
      );
      assert.equal(await activeVersion(app), 1, 'an invalid edit must not publish');

      // A valid edit: a new rule file, published as version 2.
      writeFileSync(amountFile, original);
      writeFileSync(
        join(rulesDir, 'zz-test.json'),
        JSON.stringify({
          name: 'zz-file-edit',
          conditions: { all: [{ fact: 'amount', operator: 'equal', value: 4242 }] },
          event: { type: 'risk', params: { score: 7 } },
        }),
      );
      await waitFor(async () => (await activeVersion(app)) === 2, 5_000, 'file edit published');
      const scored = await postScore(app, makeTx({ amount: 4242 }));
      assert.equal(scored.body.ruleset_version, '2');
      assert.ok(
        (scored.body.reasons as Array<{ rule: string }>).some((r) => r.rule === 'zz-file-edit'),
      );
    } finally {
      await app.close();
    }

    // Restart on the same DATA_DIR: version 2 is still active, nothing re-seeded.
    app = await buildTestApp(env);
    try {
      assert.equal(await activeVersion(app), 2);
      const versions = await app.http.inject({
        method: 'GET',
        url: '/v1/rules/versions',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(versions.json<{ versions: unknown[] }>().versions.length, 2);
    } finally {
      await app.close();
    }

    // Files edited while the service was stopped are published at the next start.
    writeFileSync(
      join(rulesDir, 'zz-test.json'),
      JSON.stringify({
        name: 'zz-file-edit',
        conditions: { all: [{ fact: 'amount', operator: 'equal', value: 4243 }] },
        event: { type: 'risk', params: { score: 7 } },
      }),
    );
    app = await buildTestApp(env);
    try {
      assert.equal(await activeVersion(app), 3);
    } finally {
      await app.close();
    }
  },
);
