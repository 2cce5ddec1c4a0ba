// Embedded mode (no DATABASE_URL): the model registry in SQLite under DATA_DIR survives a
// restart (active and shadow models, versions, audit), and MODEL_PATH stays the operator's way
// in: a file changed while the service was stopped is promoted at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app/build-app.ts';
import { SHIPPED_MODEL, writeModelVersion } from '../helpers/anomaly.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { makeTx } from '../helpers/tx.ts';
import { call } from '../helpers/users.ts';

const TOKEN = 'models-embedded-token-0123456789';

interface RoleView {
  role: string;
  active: { id: number; version: string; source: string } | null;
  shadow: { id: number; version: string } | null;
  versions: unknown[];
}

async function anomaly(app: App): Promise<RoleView> {
  const r = await call(app, 'GET', '/v1/models', { as: TOKEN });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const role = (r.body.roles as RoleView[]).find((x) => x.role === 'anomaly');
  assert.ok(role);
  return role;
}
const versionOn = async (app: App) =>
  (await postScore(app, makeTx({ account_id: `me-${Math.random()}` }))).body
    .model_version as string;

test(
  'embedded SQLite: promoted and shadow models survive a restart; a model file changed meanwhile is promoted',
  { timeout: 120_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'risk-models-embedded-'));
    const modelFile = join(dataDir, 'model.json');
    copyFileSync(SHIPPED_MODEL, modelFile);
    const env = {
      EMBEDDED_STORE: 'sqlite',
      DATA_DIR: dataDir,
      MODEL_PATH: modelFile,
      ADMIN_TOKEN: TOKEN,
    };
    let app: App | undefined;
    try {
      app = await buildTestApp(env);
      assert.equal(await versionOn(app), 'tx-iforest-1.1.0');
      writeModelVersion(join(dataDir, 'upload.json'), '5.0.0');
      const five = JSON.parse(readFileSync(join(dataDir, 'upload.json'), 'utf8')) as object;
      const up = await call(app, 'POST', '/v1/models', { as: TOKEN, body: five });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const fiveId = (up.body.model as { id: number }).id;
      const six = await call(app, 'POST', '/v1/models', {
        as: TOKEN,
        body: { ...five, version: '6.0.0' },
      });
      const sixId = (six.body.model as { id: number }).id;
      assert.equal(
        (await call(app, 'POST', `/v1/models/${fiveId}/promote`, { as: TOKEN })).status,
        200,
      );
      assert.equal(
        (await call(app, 'POST', `/v1/models/${sixId}/shadow`, { as: TOKEN })).status,
        200,
      );
      assert.equal(await versionOn(app), 'tx-iforest-5.0.0');
      await app.close();

      // Restart on the same DATA_DIR, the model file untouched: everything as it was.
      app = await buildTestApp(env);
      assert.equal(await versionOn(app), 'tx-iforest-5.0.0');
      let role = await anomaly(app);
      assert.deepEqual(
        [role.active?.id, role.shadow?.id, role.versions.length],
        [fiveId, sixId, 3],
      );
      await app.close();

      // The operator replaced the model file while the service was stopped: it is promoted.
      writeModelVersion(modelFile, '1.2.0');
      app = await buildTestApp(env);
      assert.equal(await versionOn(app), 'tx-iforest-1.2.0');
      role = await anomaly(app);
      assert.deepEqual([role.active?.version, role.active?.source], ['tx-iforest-1.2.0', 'file']);
      assert.equal(role.shadow?.id, sixId, 'the shadow stays');
      const audit = await call(app, 'GET', '/v1/models/audit', { as: TOKEN });
      assert.deepEqual(
        (audit.body.audit as Array<{ action: string; actor: string }>)
          .slice(0, 2)
          .map((e) => [e.action, e.actor]),
        [
          ['promote', 'model-file'],
          ['upload', 'model-file'],
        ],
      );
    } finally {
      await app?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
