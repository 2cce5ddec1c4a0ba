/**
 * Four-eyes publishing (RULES_APPROVAL=required) on the API with the memory store: an analyst
 * proposes, the author cannot approve their own proposal, another publisher approves (the next
 * scored transaction names the new version) or rejects with a comment; the audit names each.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/app/build-app.ts';
import type { RiskRule } from '../../../src/domain/rules/types.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { makeTx } from '../../helpers/tx.ts';
import { TestClock, addUser, call, errorOf, fastHasher } from '../../helpers/users.ts';

const ADMIN = 'test-admin-token-0123456789';
const rule = (name: string, value: number): RiskRule => ({
  name,
  conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value }] },
  event: { type: 'risk', params: { score: 60 } },
});

describe('RULES_APPROVAL=required', () => {
  let app: App;
  const t: Record<string, string> = {};
  before(async () => {
    app = await buildTestApp(
      { ADMIN_TOKEN: ADMIN, RULES_APPROVAL: 'required' },
      { hasher: fastHasher, clock: new TestClock() },
    );
    t.ana = await addUser(app, ADMIN, 'ana', 'analyst');
    t.pia = await addUser(app, ADMIN, 'pia', 'publisher');
    t.pat = await addUser(app, ADMIN, 'pat', 'publisher');
    t.vera = await addUser(app, ADMIN, 'vera', 'viewer');
  });
  after(() => app.close());

  test('an analyst proposes; nothing is published until another publisher approves', async () => {
    const proposed = await call(app, 'PUT', '/v1/rules', {
      as: t.ana,
      body: { rules: [rule('big', 100)], comment: 'catch big ones' },
    });
    assert.equal(proposed.status, 202, JSON.stringify(proposed.body));
    const proposal = proposed.body.proposal as Record<string, unknown>;
    assert.deepEqual(
      [proposal.status, proposal.author, proposal.expected_active_version],
      ['pending', 'ana', 1],
    );
    assert.equal((await call(app, 'GET', '/v1/rules', { as: t.vera })).body.version, 1);
    const listed = await call(app, 'GET', '/v1/rules/proposals?status=pending', { as: t.vera });
    assert.deepEqual(
      (listed.body.proposals as Array<{ id: number }>).map((p) => p.id),
      [proposal.id],
    );
    const full = await call(app, 'GET', `/v1/rules/proposals/${String(proposal.id)}`, {
      as: t.vera,
    });
    assert.deepEqual(full.body.rules, [rule('big', 100)]);

    // An analyst cannot approve at all, their own proposal least of all.
    const byAnalyst = await call(
      app,
      'POST',
      `/v1/rules/proposals/${String(proposal.id)}/approve`,
      {
        as: t.ana,
        body: {},
      },
    );
    assert.equal(byAnalyst.status, 403);
    assert.match(errorOf(byAnalyst).message, /needs the role publisher/);

    const approved = await call(app, 'POST', `/v1/rules/proposals/${String(proposal.id)}/approve`, {
      as: t.pia,
      body: { comment: 'looks right' },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const active = approved.body.active as Record<string, unknown>;
    assert.equal(active.version, 2);
    assert.equal(active.author, 'ana');
    const scored = await postScore(app, makeTx({ amount: 500 }));
    assert.equal(scored.body.ruleset_version, '2');

    const audit = await call(app, 'GET', '/v1/rules/audit?limit=2', { as: t.vera });
    assert.deepEqual(
      (audit.body.audit as Array<Record<string, unknown>>).map((e) => [
        e.action,
        e.version,
        e.proposal_id,
        e.actor,
      ]),
      [
        ['approve', 2, proposal.id, 'pia'],
        ['propose', null, proposal.id, 'ana'],
      ],
    );
  });

  test('a publisher who proposes cannot approve their own proposal; another can reject it', async () => {
    const proposed = await call(app, 'PUT', '/v1/rules', {
      as: t.pia,
      body: { rules: [rule('mine', 7)] },
    });
    assert.equal(proposed.status, 202);
    const id = String((proposed.body.proposal as { id: number }).id);
    const own = await call(app, 'POST', `/v1/rules/proposals/${id}/approve`, {
      as: t.pia,
      body: {},
    });
    assert.equal(own.status, 403);
    assert.match(errorOf(own).message, /four eyes: pia proposed/);
    const noComment = await call(app, 'POST', `/v1/rules/proposals/${id}/reject`, {
      as: t.pat,
      body: {},
    });
    assert.equal(noComment.status, 400);
    const rejected = await call(app, 'POST', `/v1/rules/proposals/${id}/reject`, {
      as: t.pat,
      body: { comment: 'threshold too low' },
    });
    assert.equal(rejected.status, 200);
    assert.deepEqual(
      [rejected.body.status, rejected.body.decided_by, rejected.body.decision_comment],
      ['rejected', 'pat', 'threshold too low'],
    );
    const again = await call(app, 'POST', `/v1/rules/proposals/${id}/approve`, {
      as: t.pat,
      body: {},
    });
    assert.equal(again.status, 409);
    assert.equal((await call(app, 'GET', '/v1/rules', { as: t.vera })).body.version, 2);
    const audit = await call(app, 'GET', '/v1/rules/audit?limit=1', { as: t.vera });
    assert.deepEqual(
      (audit.body.audit as Array<Record<string, unknown>>).map((e) => [
        e.action,
        e.actor,
        e.comment,
      ]),
      [['reject', 'pat', 'threshold too low']],
    );
  });

  test('a proposal made against a version no longer active cannot be approved', async () => {
    const first = await call(app, 'PUT', '/v1/rules', {
      as: t.ana,
      body: { rules: [rule('one', 1)] },
    });
    const second = await call(app, 'PUT', '/v1/rules', {
      as: t.ana,
      body: { rules: [rule('two', 2)] },
    });
    const [a, b] = [first, second].map((r) => String((r.body.proposal as { id: number }).id));
    assert.equal(
      (await call(app, 'POST', `/v1/rules/proposals/${a}/approve`, { as: t.pat })).status,
      200,
    );
    const stale = await call(app, 'POST', `/v1/rules/proposals/${b}/approve`, { as: t.pat });
    assert.equal(stale.status, 409);
    assert.match(errorOf(stale).message, /active ruleset is version 3, not 2/);
    assert.equal((await call(app, 'GET', '/v1/rules/proposals/999', { as: t.vera })).status, 404);
    // Rules equal to the active ones propose nothing.
    const same = await call(app, 'PUT', '/v1/rules', {
      as: t.ana,
      body: { rules: [rule('one', 1)] },
    });
    assert.equal(same.status, 200);
    assert.equal(same.body.changed, false);
    // Invalid rules are refused at proposal time, with every problem.
    const bad = await call(app, 'PUT', '/v1/rules', {
      as: t.ana,
      body: { rules: [{ name: 'x', conditions: { all: [] } }] },
    });
    assert.equal(bad.status, 400);
  });

  test('a viewer can neither propose nor approve', async () => {
    assert.equal(
      (await call(app, 'PUT', '/v1/rules', { as: t.vera, body: { rules: [rule('v', 3)] } })).status,
      403,
    );
    assert.equal(
      (
        await call(app, 'POST', '/v1/rules/proposals/1/reject', {
          as: t.vera,
          body: { comment: 'x' },
        })
      ).status,
      403,
    );
  });
});

test('RULES_APPROVAL=off (default): an analyst cannot publish, a publisher publishes directly', async () => {
  const app = await buildTestApp({ ADMIN_TOKEN: ADMIN }, { hasher: fastHasher });
  try {
    const ana = await addUser(app, ADMIN, 'ana', 'analyst');
    const pia = await addUser(app, ADMIN, 'pia', 'publisher');
    assert.equal(
      (await call(app, 'PUT', '/v1/rules', { as: ana, body: { rules: [rule('a', 1)] } })).status,
      403,
    );
    const pub = await call(app, 'PUT', '/v1/rules', { as: pia, body: { rules: [rule('a', 1)] } });
    assert.equal(pub.status, 201);
    assert.equal(pub.body.version, 2);
  } finally {
    await app.close();
  }
});
