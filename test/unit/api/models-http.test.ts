import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { App } from '../../../src/app/build-app.ts';
import type { ModelArtifact } from '../../../src/domain/anomaly/artifact.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { SHIPPED_MODEL } from '../../helpers/anomaly.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { makeTx } from '../../helpers/tx.ts';
import { addUser, call, errorOf, fastHasher } from '../../helpers/users.ts';

const ADMIN = 'models-admin-token-0123456789';

function artifact(version: string, edit?: (a: ModelArtifact) => void): ModelArtifact {
  const a = JSON.parse(readFileSync(SHIPPED_MODEL, 'utf8')) as ModelArtifact;
  a.version = version;
  edit?.(a);
  return a;
}

interface Summary {
  id: number;
  role: string;
  version: string;
  seq: number;
  source: string;
  uploaded_by: string;
}
interface RoleView {
  role: string;
  active: Summary | null;
  shadow: Summary | null;
  versions: Summary[];
}

describe('the model registry API (embedded, in memory)', () => {
  let app: App;
  const t: Record<string, string> = {};
  before(async () => {
    app = await buildTestApp({ ADMIN_TOKEN: ADMIN }, { hasher: fastHasher });
    t.vera = await addUser(app, ADMIN, 'vera', 'viewer');
    t.ana = await addUser(app, ADMIN, 'ana', 'analyst');
    t.pia = await addUser(app, ADMIN, 'pia', 'publisher');
  });
  after(() => app.close());

  const anomalyRole = async (): Promise<RoleView> => {
    const r = await call(app, 'GET', '/v1/models', { as: t.vera });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const role = (r.body.roles as RoleView[]).find((x) => x.role === 'anomaly');
    assert.ok(role);
    return role;
  };
  const score = async () =>
    (await postScore(app, makeTx({ account_id: `mh-${Math.random()}` }))).body as {
      anomaly_score: number;
      model_version: string;
    };

  test('the shipped model is the seeded default, active, with its audit entry', async () => {
    const role = await anomalyRole();
    assert.equal(role.active?.version, 'tx-iforest-1.1.0');
    assert.equal(role.active?.source, 'seed');
    assert.equal(role.active?.uploaded_by, 'model-file');
    assert.equal(role.shadow, null);
    const audit = await call(app, 'GET', '/v1/models/audit?role=anomaly', { as: t.vera });
    assert.deepEqual(
      (audit.body.audit as Array<{ action: string }>).map((e) => e.action),
      ['seed'],
    );
  });

  test('roles: no credential 401, a viewer reads but cannot change, an analyst cannot upload', async () => {
    assert.equal((await call(app, 'GET', '/v1/models')).status, 401);
    assert.equal((await call(app, 'GET', '/v1/models', { as: 'wrong-token' })).status, 403);
    for (const as of [t.vera, t.ana]) {
      const up = await call(app, 'POST', '/v1/models', { as, body: artifact('9.9.9') });
      assert.equal(up.status, 403);
      assert.match(errorOf(up).message, /publisher/);
      assert.equal((await call(app, 'POST', '/v1/models/1/promote', { as })).status, 403);
      assert.equal(
        (await call(app, 'POST', '/v1/models/rollback', { as, body: { role: 'anomaly' } })).status,
        403,
      );
      assert.equal(
        (await call(app, 'DELETE', '/v1/models/shadow?role=anomaly', { as })).status,
        403,
      );
    }
  });

  test('bad files are a 400 with a clear message and the place, never a stack', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [artifact('x', (a) => (a.params.trees = 3)), '/trees/node_counts', /3 trees|100 trees/],
      [{ format: 'risk-gbdt/9' }, '/format', /not a model format this service takes/],
      [{ hello: 'world' }, '/format', /names its format/],
      [artifact('bad version!'), '/version', /letters, digits/],
    ];
    for (const [body, field, message] of cases) {
      const r = await call(app, 'POST', '/v1/models', { as: t.pia, body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      const e = errorOf(r);
      assert.equal(e.code, 'RISK_ERR_VALIDATION');
      assert.match(e.message, message);
      assert.ok(
        e.details?.some((d) => d.field === field),
        JSON.stringify(e.details),
      );
      assert.doesNotMatch(JSON.stringify(r.body), /at .*\.ts:\d+|node:internal/);
    }
    const notJson = await app.http.inject({
      method: 'POST',
      url: '/v1/models',
      headers: { authorization: `Bearer ${t.pia}`, 'content-type': 'application/json' },
      payload: '{"format": "risk-iforest/1", ',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json<{ error: { code: string } }>().error.code, 'RISK_ERR_BAD_JSON');
    const huge = await app.http.inject({
      method: 'POST',
      url: '/v1/models',
      headers: { authorization: `Bearer ${t.pia}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ format: 'risk-iforest/1', pad: 'x'.repeat(17 * 1024 * 1024) }),
    });
    assert.equal(huge.statusCode, 413);
    assert.equal((await anomalyRole()).versions.length, 1, 'nothing stored');
  });

  test('upload, shadow (scored, not acting), promote, rollback: answers follow the active model only', async () => {
    const before = await score();
    assert.equal(before.model_version, 'tx-iforest-1.1.0');
    // Other trees than the shipped ones' would do; a threshold of 0 makes every shadow score
    // a disagreement, which the metrics then show.
    const up = await call(app, 'POST', '/v1/models?comment=retrained', {
      as: t.pia,
      body: artifact('2.0.0', (a) => (a.threshold.score = 0)),
    });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const model = up.body.model as Summary;
    assert.deepEqual([model.version, model.seq, model.uploaded_by], ['tx-iforest-2.0.0', 2, 'pia']);
    const again = await call(app, 'POST', '/v1/models', {
      as: t.pia,
      body: artifact('2.0.0', (a) => (a.threshold.score = 0)),
    });
    assert.equal(again.status, 200);
    assert.equal((again.body.model as Summary).id, model.id);

    const shadowed = await call(app, 'POST', `/v1/models/${model.id}/shadow`, {
      as: t.pia,
      body: { comment: 'watch it for a day' },
    });
    assert.equal(shadowed.status, 200, JSON.stringify(shadowed.body));
    assert.equal((await anomalyRole()).shadow?.id, model.id);
    const during = await score();
    assert.equal(during.model_version, 'tx-iforest-1.1.0', 'the shadow does not act');
    const metric = async (name: string) => {
      const text = (await app.http.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && l.includes('model_version="tx-iforest-2.0.0"'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    await waitFor(
      async () => (await metric('risk_model_shadow_score_count')) >= 1,
      10_000,
      'shadow scored',
    );
    assert.ok((await metric('risk_model_shadow_disagreements_total')) >= 1);
    const info = (await app.http.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(
      info,
      /risk_model_registry_info\{role="anomaly",slot="shadow",model_version="tx-iforest-2.0.0",id="\d+"\} 1/,
    );

    const promoted = await call(app, 'POST', `/v1/models/${model.id}/promote`, { as: t.pia });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal((await score()).model_version, 'tx-iforest-2.0.0');
    const role = await anomalyRole();
    assert.deepEqual([role.active?.id, role.shadow], [model.id, null]);

    const conflict = await call(app, 'POST', `/v1/models/${model.id}/promote`, { as: t.pia });
    assert.equal(conflict.status, 409);
    assert.match(errorOf(conflict).message, /already the active anomaly model/);

    const back = await call(app, 'POST', '/v1/models/rollback', {
      as: t.pia,
      body: { role: 'anomaly', comment: 'scores drifted' },
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal((back.body.model as Summary).version, 'tx-iforest-1.1.0');
    assert.equal(back.body.from_id, model.id);
    assert.equal((await score()).model_version, 'tx-iforest-1.1.0');

    const audit = await call(app, 'GET', '/v1/models/audit', { as: t.vera });
    assert.deepEqual(
      (audit.body.audit as Array<{ action: string; actor: string }>)
        .slice(0, 4)
        .map((e) => [e.action, e.actor]),
      [
        ['rollback', 'pia'],
        ['promote', 'pia'],
        ['shadow', 'pia'],
        ['upload', 'pia'],
      ],
    );
  });

  test('shadow end, unknown ids and roles are clear refusals', async () => {
    const up = await call(app, 'POST', '/v1/models', { as: t.pia, body: artifact('3.0.0') });
    const id = (up.body.model as Summary).id;
    assert.equal((await call(app, 'POST', `/v1/models/${id}/shadow`, { as: t.pia })).status, 200);
    const cleared = await call(app, 'DELETE', '/v1/models/shadow?role=anomaly', { as: t.pia });
    assert.deepEqual(cleared.body, { role: 'anomaly', from_id: id });
    const none = await call(app, 'DELETE', '/v1/models/shadow?role=anomaly', { as: t.pia });
    assert.equal(none.status, 404);
    assert.match(errorOf(none).message, /no shadow model/);
    const missing = await call(app, 'POST', '/v1/models/999999/promote', { as: t.pia });
    assert.equal(missing.status, 404);
    assert.match(errorOf(missing).message, /model 999999 does not exist/);
    assert.equal(
      (await call(app, 'GET', '/v1/models/versions/999999', { as: t.vera })).status,
      404,
    );
    assert.equal((await call(app, 'GET', `/v1/models/versions/${id}`, { as: t.vera })).status, 200);
    const badRole = await call(app, 'POST', '/v1/models/rollback', {
      as: t.pia,
      body: { role: 'colour' },
    });
    assert.equal(badRole.status, 400);
  });
});
