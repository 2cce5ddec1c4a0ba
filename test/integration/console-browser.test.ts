// The analyst console in a real Chromium (Debian's, driven by playwright-core) against the real
// service on embedded defaults: sign in with the token, see a transaction scored through the
// API arrive on the landing page within 2 s, make an invalid edit and see its problem at the
// right rule, fix it, backtest, publish, see the next transaction name the new version, diff
// the two versions and roll back. No page error, no request leaving loopback.
// CONSOLE_SCREENSHOTS=docs/console also writes the README's screenshots of each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { CHROMIUM, openWatchedPage } from '../helpers/browser.ts';
import { waitFor } from '../helpers/fakes.ts';
import { createTopic, deleteTopic, serverModeEnv, uniqueTopic } from '../helpers/kafka.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { TEST_REDIS_URL, connectTestRedis, dropPrefix, uniquePrefix } from '../helpers/redis.ts';
import { postScoreTo, startService } from '../helpers/running-service.ts';

const TOKEN = 'console-browser-test-token-0123456789';
const PASSWORD = 'correct horse battery staple 42';
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

interface Scored {
  transaction_id: string;
  decision: string;
  ruleset_version: string;
}

let seq = 0;
const txId = (): string => `console-${process.pid}-${++seq}`;
const CATEGORIES = ['5411', '5812', '7995', '4829', '5999'];
const COUNTRIES = ['US', 'GB', 'DE', 'NG', 'BR'];
const CHANNELS = ['ecommerce', 'pos', 'mobile'];

/** Varied traffic over the last half hour (event time), most of it unremarkable. */
function transaction(over: Record<string, unknown> = {}): Record<string, unknown> {
  const n = seq;
  return {
    transaction_id: txId(),
    timestamp: new Date(Date.now() - ((n * 7) % 30) * 60_000 - 1000).toISOString(),
    amount: [12.5, 80, 250, 1200, 15000][n % 5],
    currency: 'USD',
    account_id: `acct-${n % 11}`,
    card_id: `card-${n % 13}`,
    merchant_id: `m-${n % 7}`,
    merchant_category: CATEGORIES[n % CATEGORIES.length],
    location: COUNTRIES[n % COUNTRIES.length],
    channel: CHANNELS[n % CHANNELS.length],
    ...over,
  };
}

async function score(url: string, over: Record<string, unknown> = {}): Promise<Scored> {
  const res = await postScoreTo(url, transaction(over));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Scored;
}

async function shot(on: boolean, page: Page, name: string, only?: string): Promise<void> {
  if (!on || SHOTS === undefined) return;
  const path = join(SHOTS, `${name}.png`);
  if (only === undefined) await page.screenshot({ path, fullPage: true });
  else await page.locator(only).screenshot({ path });
}

/** Waits until `locator` matches exactly `n` elements. */
const waitForCount = (locator: Locator, n: number): Promise<void> =>
  waitFor(async () => (await locator.count()) === n, 5_000, `${n} matching elements`);

/** The editor's whole text replaced, as a paste would (one input to CodeMirror). */
async function setDraft(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').fill(text);
}

/** The console built (if stale) and the service started with it, the admin token and `env`. */
async function startConsoleService(env: Record<string, string>) {
  const build = spawnSync(process.execPath, ['scripts/build-console.mjs', '--if-stale'], {
    stdio: 'inherit',
  });
  assert.equal(build.status, 0, 'npm run build:console');
  return startService({ ADMIN_TOKEN: TOKEN, ...env });
}

/** The whole walk through the console, against a service started with `env`. */
async function walkThrough(env: Record<string, string>, shots: boolean): Promise<void> {
  const service = await startConsoleService({ WINDOW_FLUSH_INTERVAL_MS: '200', ...env });
  const browser = await openWatchedPage();
  const { page } = browser;
  try {
    const base = service.url;
    // Some traffic before anyone looks, so that lists and charts have something to show.
    for (let i = 0; i < 24; i++) await score(base);

    // A publisher signs in with a password (a session cookie); a wrong password is refused
    // with the service's message. The token form is shown for the screenshot.
    const created = await fetch(`${base}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', role: 'publisher', password: PASSWORD }),
    });
    assert.equal(created.status, 201, await created.text());
    await page.goto(`${base}/console/`);
    await page.locator('input[name=token]').waitFor();
    await shot(shots, page, 'sign-in');
    await page.getByRole('button', { name: 'sign in with a password' }).click();
    await page.locator('input[name=username]').fill('alice');
    await page.locator('input[name=password]').fill('not-alices-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('[role=alert]').waitFor({ timeout: 10_000 });
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Landing page: live decisions; a new one arrives within 2 s without a reload.
    await page.getByRole('heading', { name: 'Live decisions' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid=live-state]', { hasText: 'live' }).waitFor();
    await page.locator('tr[data-id]').first().waitFor({ timeout: 10_000 });
    const fresh = await score(base, { amount: 15_000, account_id: 'acct-live' });
    const scoredAt = Date.now();
    await page.locator(`tr[data-id="${fresh.transaction_id}"]`).waitFor({ timeout: 2_000 });
    const arrivedMs = Date.now() - scoredAt;
    assert.ok(arrivedMs <= 2_000, `arrived after ${arrivedMs} ms`);
    const firstRow = page.locator('table[data-testid=decisions] tbody tr').first();
    assert.equal(await firstRow.getAttribute('data-id'), fresh.transaction_id, 'newest first');
    await shot(shots, page, 'live-decisions');

    // Filters: by account (the list and the stream both), then back to everything.
    await page.locator('input[name=account]').fill('acct-live');
    await page.getByRole('button', { name: 'Filter' }).click();
    await waitForCount(page.locator('table[data-testid=decisions] tbody tr'), 1);
    await page.locator(`tr[data-id="${fresh.transaction_id}"]`).waitFor();
    await page.locator('[data-testid=live-state]', { hasText: 'live' }).waitFor();
    const other = await score(base, { account_id: 'acct-live' });
    await score(base, { account_id: 'acct-elsewhere' });
    await page.locator(`tr[data-id="${other.transaction_id}"]`).waitFor({ timeout: 2_000 });
    await waitForCount(page.locator('table[data-testid=decisions] tbody tr'), 2);
    await page.locator('input[name=account]').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tr[data-id]').nth(5).waitFor();

    // A decision's page: the fired rules with their condition trees and fact values.
    await page.getByRole('link', { name: fresh.transaction_id }).click();
    await page.locator('article.fired').first().waitFor({ timeout: 10_000 });
    assert.ok((await page.locator('article.fired[data-rule="high-amount"]').count()) === 1);
    await page.locator('.fact-value', { hasText: '15000' }).first().waitFor();
    await shot(shots, page, 'decision');

    // Rules: the active version and every rule.
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.locator('[data-testid=active-version]', { hasText: '1' }).waitFor();
    const active = (await (
      await fetch(`${base}/v1/rules`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { rules: Array<Record<string, unknown> & { name: string }> };
    for (const r of active.rules)
      await page.locator(`[data-testid=active-rules] tr[data-rule="${r.name}"]`).waitFor();
    await page.locator('[data-testid=draft-valid]').waitFor({ timeout: 10_000 });

    // An invalid edit: its problem is listed and underlined at the rule it is in.
    const target = active.rules.findIndex((r) => r.name === 'high-amount');
    assert.ok(target >= 0);
    const broken = structuredClone(active.rules);
    const conditions = broken[target]?.conditions as { all: Array<{ operator: string }> };
    const leaf = conditions.all[0];
    assert.ok(leaf !== undefined);
    leaf.operator = 'greaterThanInclusiv';
    const brokenText = `${JSON.stringify(broken, null, 2)}\n`;
    await setDraft(page, brokenText);
    const problem = page.locator('[data-testid=problems] li[data-rule="high-amount"]');
    await problem.waitFor({ timeout: 10_000 });
    // The editor draws only the lines in view: the problem's link scrolls to it.
    await problem.getByRole('button').click();
    await page.locator('.cm-lintRange-error').first().waitFor();
    const shownLine = Number(/line (\d+)/.exec(await problem.innerText())?.[1]);
    const lines = brokenText.split('\n');
    const start = lines.findIndex((l) => l.includes('"name": "high-amount"'));
    const end = lines.findIndex((l, i) => i > start && /^ {4}"name": /.test(l));
    assert.ok(
      shownLine - 1 > start - 3 && (end < 0 || shownLine - 1 < end),
      `problem at line ${shownLine}, rule spans ${start + 1}–${end}`,
    );
    assert.match(await problem.innerText(), /operator/);
    await shot(shots, page, 'rules-invalid-edit');

    // Fixed, and changed: a higher score for high-amount and one new rule.
    const fixed = structuredClone(active.rules);
    const params = (fixed[target]?.event as { params: { score: number } }).params;
    params.score = 45;
    fixed.push({
      name: 'console-large-amount-review',
      conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 14_000 }] },
      event: { type: 'risk', params: { score: 10, description: 'added in the console test' } },
    });
    await setDraft(page, `${JSON.stringify(fixed, null, 2)}\n`);
    await page.locator('[data-testid=draft-valid]').waitFor({ timeout: 10_000 });

    // Backtest on recent traffic: hit counts per rule and the decision mix.
    await page.getByRole('button', { name: 'Backtest on recent traffic' }).click();
    const result = page.locator('[data-testid=backtest-result]');
    await result.waitFor({ timeout: 30_000 });
    assert.match(await result.innerText(), /console-large-amount-review/);
    await shot(shots, page, 'rules-backtest');

    // Backtest on an uploaded NDJSON file: its transactions replayed among themselves.
    const file = [15_000, 20, 14_500]
      .map((amount, i) => JSON.stringify(transaction({ amount, account_id: `acct-file-${i}` })))
      .join('\n');
    await page.locator('[data-testid=backtest] input[type=file]').setInputFiles({
      name: 'traffic.ndjson',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(file),
    });
    await page.getByRole('button', { name: 'Backtest on file' }).click();
    await result.getByText('3 transactions (the file)').waitFor({ timeout: 30_000 });

    // Publish over version 1.
    await page.locator('input[name=comment]').fill('high-amount weighs more; large amounts noted');
    await page.getByRole('button', { name: 'Publish over version 1' }).click();
    await page.locator('[data-testid=notice]', { hasText: 'version 2 is active' }).waitFor();
    await page.locator('[data-testid=active-version]', { hasText: '2' }).waitFor();

    // Diff between versions 1 and 2, rule by rule.
    const diff = page.locator('[data-testid=diff]');
    await diff.locator('article.rule-change.changed[data-rule="high-amount"]').waitFor();
    await diff
      .locator('article.rule-change.added[data-rule="console-large-amount-review"]')
      .waitFor();
    assert.match(await diff.locator('article[data-rule="high-amount"] .add').innerText(), /45/);
    await shot(shots, page, 'rules-diff', '[data-testid=versions]');

    // The next scored transaction names the new version, on the landing page too.
    await page.getByRole('link', { name: 'Live decisions' }).click();
    await page.locator('[data-testid=live-state]', { hasText: 'live' }).waitFor();
    const next = await score(base, { amount: 15_000 });
    assert.equal(next.ruleset_version, '2');
    await page
      .locator(`tr[data-id="${next.transaction_id}"] [data-testid=ruleset-version]`, {
        hasText: '2',
      })
      .waitFor({ timeout: 2_000 });

    // Roll back to version 1: the next transaction is scored by it again.
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.locator('[data-testid=active-version]', { hasText: '2' }).waitFor();
    await page.getByRole('button', { name: 'Roll back to the previous version' }).click();
    await page.locator('[data-testid=notice]', { hasText: 'version 1 is active' }).waitFor();
    await page.locator('[data-testid=active-version]', { hasText: '1' }).waitFor();
    await page.locator('[data-testid=audit] td', { hasText: 'rollback' }).first().waitFor();
    // The audit names the signed-in user, not a name typed into the page.
    await page.locator('[data-testid=audit] td', { hasText: 'alice' }).first().waitFor();
    assert.equal((await score(base)).ruleset_version, '1');

    // Dashboards: the charts draw (decision mix, rule hits, windows).
    for (let i = 0; i < 12; i++) await score(base);
    await page.getByRole('link', { name: 'Dashboards' }).click();
    await page.locator('.uplot').nth(5).waitFor({ timeout: 10_000 });
    await page.locator('.uplot canvas').first().waitFor();
    await shot(shots, page, 'dashboards');

    assert.deepEqual(browser.pageErrors, [], 'no page errors');
    assert.deepEqual(browser.offMachine, [], 'no request leaves loopback');
    const unexpected = browser.httpErrors.filter(
      (e) =>
        e !== '403 POST /v1/session' &&
        e !== '401 POST /v1/session' &&
        e !== '400 POST /v1/rules/validate',
    );
    assert.deepEqual(unexpected, [], 'only the refusals the test asked for');
  } catch (err) {
    // What the page showed when it failed, for whoever reads the log.
    const path = join(tmpdir(), `console-failure-${process.pid}.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    console.error(`page at failure: ${path}; page errors: ${browser.pageErrors.join(' | ')}`);
    throw err;
  } finally {
    await browser.close();
    service.child.kill('SIGTERM');
    await service.exited;
  }
}

// Locally a missing browser skips with the reason; in CI (services.sh installs it) it fails.
const noChromium =
  CHROMIUM === undefined && process.env.CI !== 'true'
    ? 'no chromium (apt-get install chromium)'
    : false;

test(
  'console on embedded defaults: sign in, live decisions, edit with validation, backtest, publish, diff, rollback',
  { skip: noChromium, timeout: 240_000 },
  () =>
    walkThrough({ DATA_DIR: mkdtempSync(join(tmpdir(), 'risk-console-')) }, SHOTS !== undefined),
);

test(
  'console with every store on (Redis, PostgreSQL, Kafka): the same walk',
  { skip: noChromium, timeout: 240_000 },
  async () => {
    const db = await createThrowawayDb('console');
    const topic = uniqueTopic('console-flags');
    await createTopic(topic);
    const prefix = uniquePrefix('console');
    try {
      await walkThrough(
        {
          ...serverModeEnv(db.url, topic, mkdtempSync(join(tmpdir(), 'risk-console-'))),
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
        },
        false,
      );
    } finally {
      const redis = connectTestRedis();
      await dropPrefix(redis, prefix).finally(() => redis.quit());
      await deleteTopic(topic);
      await db.drop();
    }
  },
);

/** Signs in on the console's form with a user's password. */
async function signInWithPassword(page: Page, base: string, user: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByRole('button', { name: 'sign in with a password' }).click();
  await page.locator('input[name=username]').fill(user);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`${user} (`).waitFor({ timeout: 10_000 });
}

test(
  'four eyes in the console: an analyst proposes, may not approve; another publisher approves',
  { skip: noChromium, timeout: 240_000 },
  async () => {
    const service = await startConsoleService({
      RULES_APPROVAL: 'required',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'risk-console-4eyes-')),
    });
    const browser = await openWatchedPage();
    const { page } = browser;
    try {
      const base = service.url;
      for (const [username, role] of [
        ['ana', 'analyst'],
        ['bob', 'publisher'],
      ]) {
        const res = await fetch(`${base}/v1/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ username, role, password: PASSWORD }),
        });
        assert.equal(res.status, 201, await res.text());
      }
      assert.equal((await score(base)).ruleset_version, '1');

      // Ana (analyst) edits and proposes; the active version stays 1.
      await signInWithPassword(page, base, 'ana');
      await page.getByRole('link', { name: 'Rules' }).click();
      await page.locator('[data-testid=active-version]', { hasText: '1' }).waitFor();
      const active = (await (
        await fetch(`${base}/v1/rules`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as { rules: Array<{ name: string; event: { params?: { score?: number } } }> };
      const draft = structuredClone(active.rules);
      const target = draft.find((r) => r.name === 'high-amount');
      assert.ok(target?.event.params !== undefined);
      target.event.params.score = 55;
      await setDraft(page, `${JSON.stringify(draft, null, 2)}\n`);
      await page.locator('[data-testid=draft-valid]').waitFor({ timeout: 10_000 });
      await page.locator('input[name=comment]').fill('high-amount weighs more (four eyes)');
      await page.getByRole('button', { name: 'Publish over version 1' }).click();
      await page.locator('[data-testid=notice]', { hasText: 'Proposed as proposal' }).waitFor();
      const proposals = page.locator('[data-testid=proposals]');
      await proposals.locator('tr[data-proposal]').first().waitFor();
      assert.equal((await score(base)).ruleset_version, '1', 'a proposal is not active');
      // The service refuses the analyst's approval; the page says so.
      await proposals.getByRole('button', { name: 'Approve' }).click();
      await proposals.locator('[role=alert]').waitFor();
      assert.match(await proposals.locator('[role=alert]').innerText(), /publisher|own|role/i);

      // Bob (another publisher) approves: version 2 is active and scores the next one.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInWithPassword(page, base, 'bob');
      await page.getByRole('link', { name: 'Rules' }).click();
      await proposals.locator('tr[data-proposal]').first().waitFor();
      await shot(SHOTS !== undefined, page, 'rules-proposals', '[data-testid=proposals]');
      await proposals.getByRole('button', { name: 'Approve' }).click();
      await page.locator('[data-testid=active-version]', { hasText: '2' }).waitFor();
      assert.equal((await score(base)).ruleset_version, '2');
      const audit = page.locator('[data-testid=audit]');
      await audit.locator('td', { hasText: 'approve' }).first().waitFor();
      await audit.locator('td', { hasText: 'bob' }).first().waitFor();

      assert.deepEqual(browser.pageErrors, [], 'no page errors');
      assert.deepEqual(browser.offMachine, [], 'no request leaves loopback');
      const unexpected = browser.httpErrors.filter(
        (e) =>
          e !== '403 POST /v1/rules/proposals/1/approve' && e !== '400 POST /v1/rules/validate',
      );
      assert.deepEqual(unexpected, [], 'only the refusal the test asked for');
    } catch (err) {
      const path = join(tmpdir(), `console-4eyes-failure-${process.pid}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`page at failure: ${path}; page errors: ${browser.pageErrors.join(' | ')}`);
      throw err;
    } finally {
      await browser.close();
      service.child.kill('SIGTERM');
      await service.exited;
    }
  },
);
