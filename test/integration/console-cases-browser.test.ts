// The console's review cases and rule performance in a real Chromium (Debian's, driven by
// playwright-core) against the real service on embedded defaults, then with every store on.
// A small ruleset of the test's own makes every decision known in advance: transactions scored
// through the API open review cases; a viewer sees the queue read-only; an analyst sees it
// oldest first with ages that tick, is told plainly when someone else claimed a case first,
// claims another, reads its explanation and the account's history, resolves it as fraud and
// sees it resolved; the performance page then shows precision and recall as computed by hand
// from the table below. No page error, no request leaving loopback.
// CONSOLE_SCREENSHOTS=docs/console also writes the README's screenshots of these pages.
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

const TOKEN = 'console-cases-test-token-0123456789';
const PASSWORD = 'correct horse battery staple 42';
const SHOTS = process.env.CONSOLE_SCREENSHOTS;
const HOUR = 3_600_000;

/** The test's ruleset: one rule that sends large amounts to review, one score, one shadow. */
const RULES = [
  {
    name: 'walk-large-amount-review',
    conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 5000 }] },
    event: {
      type: 'risk',
      params: { score: 10, action: 'review', description: 'an amount of 5,000 or more' },
    },
  },
  {
    name: 'walk-germany',
    conditions: { all: [{ fact: 'location', operator: 'equal', value: 'DE' }] },
    event: { type: 'risk', params: { score: 5, description: 'paid from Germany' } },
  },
  {
    name: 'walk-mobile-shadow',
    conditions: { all: [{ fact: 'channel', operator: 'equal', value: 'mobile' }] },
    event: { type: 'risk', params: { score: 5, shadow: true, description: 'a mobile payment' } },
  },
];

type Label = 'fraud' | 'legit' | null;
interface Planned {
  key: string;
  hoursAgo: number;
  amount: number;
  location: string;
  channel: string;
  account: string;
  /** The rules that fire on it, by hand from RULES. */
  fires: string[];
  /** Its label at the end: from POST /v1/labels, or from resolving its case in the console. */
  label: Label;
}

/**
 * The traffic, in the order it is scored. A, B and E are reviews (cases); A is resolved as
 * fraud in the console, B and the approved C and F are labelled through the API, B's case is
 * claimed by someone else while the analyst looks at it, E stays open. G is A's account's
 * earlier, unremarkable payment (its history).
 */
const PLAN: Planned[] = [
  {
    key: 'G',
    hoursAgo: 6,
    amount: 50,
    location: 'US',
    channel: 'pos',
    account: 'a',
    fires: [],
    label: null,
  },
  {
    key: 'A',
    hoursAgo: 5,
    amount: 9000,
    location: 'US',
    channel: 'ecommerce',
    account: 'a',
    fires: ['walk-large-amount-review'],
    label: 'fraud',
  },
  {
    key: 'B',
    hoursAgo: 4,
    amount: 7000,
    location: 'DE',
    channel: 'mobile',
    account: 'b',
    fires: ['walk-large-amount-review', 'walk-germany', 'walk-mobile-shadow'],
    label: 'legit',
  },
  {
    key: 'C',
    hoursAgo: 3,
    amount: 20,
    location: 'DE',
    channel: 'pos',
    account: 'c',
    fires: ['walk-germany'],
    label: 'fraud',
  },
  {
    key: 'D',
    hoursAgo: 2,
    amount: 30,
    location: 'US',
    channel: 'mobile',
    account: 'd',
    fires: ['walk-mobile-shadow'],
    label: null,
  },
  {
    key: 'E',
    hoursAgo: 1,
    amount: 6000,
    location: 'US',
    channel: 'pos',
    account: 'e',
    fires: ['walk-large-amount-review'],
    label: null,
  },
  {
    key: 'F',
    hoursAgo: 0.5,
    amount: 40,
    location: 'DE',
    channel: 'ecommerce',
    account: 'f',
    fires: ['walk-germany'],
    label: 'fraud',
  },
];
const REVIEWED = new Set(['A', 'B', 'E']);

interface Expected {
  hits: number;
  labelled_hits: number;
  fraud_hits: number;
  precision: string;
  recall: string;
}

const pct = (num: number, den: number): string =>
  den === 0 ? '—' : `${((num / den) * 100).toFixed(1)}%`;

/** Precision and recall of each rule and of the decision, counted by hand from PLAN. */
function expectedPerformance(labelOf: (p: Planned) => Label): Map<string, Expected> {
  const frauds = PLAN.filter((p) => labelOf(p) === 'fraud').length;
  const count = (hit: (p: Planned) => boolean): Expected => {
    const hits = PLAN.filter(hit);
    const labelled = hits.filter((p) => labelOf(p) !== null).length;
    const fraud = hits.filter((p) => labelOf(p) === 'fraud').length;
    return {
      hits: hits.length,
      labelled_hits: labelled,
      fraud_hits: fraud,
      precision: pct(fraud, labelled),
      recall: pct(fraud, frauds),
    };
  };
  const out = new Map<string, Expected>();
  out.set(
    '',
    count((p) => REVIEWED.has(p.key)),
  );
  for (const r of RULES)
    out.set(
      r.name,
      count((p) => p.fires.includes(r.name)),
    );
  return out;
}

/** The performance table as the page shows it, by rule ('' is the decision as a whole). */
async function shownPerformance(page: Page): Promise<Map<string, Expected>> {
  const rows = page.locator('[data-testid=performance] tbody tr');
  const out = new Map<string, Expected>();
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    const cell = (col: string) => row.locator(`[data-col=${col}]`).innerText();
    out.set((await row.getAttribute('data-rule')) ?? '?', {
      hits: Number(await cell('hits')),
      labelled_hits: Number(await cell('labelled_hits')),
      fraud_hits: Number(await cell('fraud_hits')),
      precision: await cell('precision'),
      recall: await cell('recall'),
    });
  }
  return out;
}

/** One attribute of every element `rows` matches, in document order. */
async function attributes(rows: Locator, name: string): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (let i = 0; i < (await rows.count()); i++) out.push(await rows.nth(i).getAttribute(name));
  return out;
}

/** Waits until the performance table shows `want` (its calls answer after the page draws). */
async function waitForPerformance(page: Page, want: Map<string, Expected>): Promise<void> {
  await page
    .locator('[data-testid=performance] tbody tr')
    .nth(RULES.length)
    .waitFor({ timeout: 10_000 });
  let shown = await shownPerformance(page);
  await waitFor(
    async () => {
      shown = await shownPerformance(page);
      const sorted = (m: Map<string, Expected>) => JSON.stringify([...m].sort());
      return sorted(shown) === sorted(want);
    },
    10_000,
    'the performance table',
  ).catch(() => undefined);
  assert.deepEqual(shown, want);
}

async function shot(on: boolean, page: Page, name: string): Promise<void> {
  if (!on || SHOTS === undefined) return;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

async function signIn(page: Page, base: string, user: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByRole('button', { name: 'sign in with a password' }).click();
  await page.locator('input[name=username]').fill(user);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText(`${user} (`).waitFor({ timeout: 10_000 });
}

interface CaseRow {
  case_id: string;
  transaction_id: string;
  status: string;
}

/** The walk, against a service started with `env`. */
async function walk(env: Record<string, string>, shots: boolean): Promise<void> {
  const build = spawnSync(process.execPath, ['scripts/build-console.mjs', '--if-stale'], {
    stdio: 'inherit',
  });
  assert.equal(build.status, 0, 'npm run build:console');
  const service = await startService({
    ADMIN_TOKEN: TOKEN,
    WINDOW_FLUSH_INTERVAL_MS: '200',
    ...env,
  });
  const browser = await openWatchedPage();
  const { page } = browser;
  const run = `${process.pid}-${Date.now()}`;
  const txOf = (key: string): string => `walk-${run}-${key}`;
  try {
    const base = service.url;
    const published = await call(base, 'PUT', '/v1/rules', {
      rules: RULES,
      comment: 'the cases walk',
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    for (const [username, role] of [
      ['ana', 'analyst'],
      ['vic', 'viewer'],
    ]) {
      const res = await call(base, 'POST', '/v1/users', { username, role, password: PASSWORD });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }

    // Scored through the API, in order: A, B and E are reviews and open cases.
    const now = Date.now();
    for (const p of PLAN) {
      const res = await postScoreTo(base, {
        transaction_id: txOf(p.key),
        timestamp: new Date(now - p.hoursAgo * HOUR).toISOString(),
        amount: p.amount,
        currency: 'EUR',
        account_id: `acct-${run}-${p.account}`,
        merchant_id: `m-${p.key}`,
        merchant_category: '5411',
        location: p.location,
        channel: p.channel,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const answer = res.body as { decision: string; reasons: Array<{ rule: string }> };
      assert.equal(answer.decision, REVIEWED.has(p.key) ? 'review' : 'approve', p.key);
    }
    const cases = new Map<string, string>();
    await waitFor(
      async () => {
        const r = await call(base, 'GET', '/v1/cases?status=open');
        for (const c of (r.body as { cases: CaseRow[] }).cases) {
          const key = PLAN.find((p) => txOf(p.key) === c.transaction_id)?.key;
          if (key !== undefined) cases.set(key, c.case_id);
        }
        return cases.size === REVIEWED.size;
      },
      20_000,
      'a case for each review',
    );
    const caseOf = (key: string): string => cases.get(key) ?? '?';
    const labelled = await call(base, 'POST', '/v1/labels', {
      labels: PLAN.filter((p) => p.key !== 'A' && p.label !== null).map((p) => ({
        transaction_id: txOf(p.key),
        label: p.label,
        source: 'chargeback',
      })),
    });
    assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
    // E is someone else's already.
    assert.equal((await call(base, 'POST', `/v1/cases/${caseOf('E')}/claim`)).status, 200);

    // A viewer reads the queue and a case, with no button to claim or resolve.
    await signIn(page, base, 'vic');
    await page.getByRole('link', { name: 'Cases' }).click();
    await page.locator('[data-testid=read-only]').waitFor({ timeout: 10_000 });
    await page.locator(`tr[data-case="${caseOf('A')}"] a`).click();
    await page.locator('[data-testid=case-read-only]').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole('button', { name: 'Claim' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();

    // The analyst's queue: the three cases, oldest first, E claimed, ages ticking.
    await signIn(page, base, 'ana');
    await page.getByRole('link', { name: 'Cases' }).click();
    const queue = page.locator('[data-testid=cases] tbody tr');
    await waitFor(async () => (await queue.count()) === 3, 10_000, 'three cases in the queue');
    const order = await attributes(queue, 'data-case');
    assert.deepEqual(order, [caseOf('A'), caseOf('B'), caseOf('E')], 'oldest first');
    assert.equal(await page.locator('[data-testid=case-count]').innerText(), '3 cases');
    assert.equal(
      await page.locator(`tr[data-case="${caseOf('E')}"] [data-testid=case-status]`).innerText(),
      'claimed',
    );
    const age = page.locator(`tr[data-case="${caseOf('A')}"] td.age`);
    const firstAge = await age.innerText();
    assert.match(firstAge, /^\d+(s|m \d\ds)$/);
    await waitFor(async () => (await age.innerText()) !== firstAge, 5_000, 'the age ticks');
    await page.locator('select[name=status]').selectOption('claimed');
    await waitFor(async () => (await queue.count()) === 1, 10_000, 'the claimed case alone');
    await page.locator('select[name=status]').selectOption('active');
    await waitFor(async () => (await queue.count()) === 3, 10_000, 'the queue again');
    await shot(shots, page, 'cases');

    // B: someone claims it while the analyst reads it; her claim is refused, plainly.
    await page.locator(`tr[data-case="${caseOf('B')}"] a`).click();
    await page.getByRole('button', { name: 'Claim' }).waitFor({ timeout: 10_000 });
    assert.equal((await call(base, 'POST', `/v1/cases/${caseOf('B')}/claim`)).status, 200);
    await page.getByRole('button', { name: 'Claim' }).click();
    const refusal = page.locator('[data-testid=case-work] [role=alert]');
    await refusal.waitFor({ timeout: 10_000 });
    assert.match(await refusal.innerText(), /claimed by admin/);
    await page.locator('[data-testid=case-assignee]', { hasText: 'admin' }).waitFor();
    await shot(shots, page, 'case-conflict');
    assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);

    // Performance before A's case is resolved: the large-amount rule has caught no fraud yet.
    const range = `from=${new Date(now - 24 * HOUR).toISOString()}&to=${new Date(now + 60_000).toISOString()}`;
    const before = expectedPerformance((p) => (p.key === 'A' ? null : p.label));
    assert.equal(before.get('walk-large-amount-review')?.precision, '0.0%');
    await page.goto(`${base}/console/performance?${range}`);
    await waitForPerformance(page, before);

    // A: its explanation and the account's history; claimed, then resolved as fraud.
    await page.getByRole('link', { name: 'Cases' }).click();
    await page.locator(`tr[data-case="${caseOf('A')}"] a`).click();
    await page
      .locator('article.fired[data-rule="walk-large-amount-review"] .fact-value', {
        hasText: '9000',
      })
      .waitFor({ timeout: 10_000 });
    const historyRows = page.locator('[data-testid=account-history] tbody tr');
    await waitFor(async () => (await historyRows.count()) === 2, 10_000, "the account's two");
    assert.deepEqual(await attributes(historyRows, 'data-id'), [txOf('A'), txOf('G')]);
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.locator('[data-testid=case-assignee]', { hasText: 'ana' }).waitFor();
    await page.locator('[data-testid=case-status]', { hasText: 'claimed' }).waitFor();
    // Resolving without an outcome is refused in the page, naming what is missing.
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.locator('[role=alert]', { hasText: 'Choose an outcome' }).waitFor();
    await page.getByRole('radio', { name: 'fraud' }).check();
    await page.getByLabel('Comment (optional)').fill('cardholder denies it; card reported lost');
    await shot(shots, page, 'case');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.locator('[data-testid=case-outcome]', { hasText: 'fraud' }).waitFor();
    await page.locator('[data-testid=case-status]', { hasText: 'resolved' }).waitFor();
    assert.match(
      await page.locator('[data-testid=case-resolution]').innerText(),
      /cardholder denies it/,
    );
    await page.getByRole('link', { name: '← Review cases' }).click();
    await page.locator('select[name=status]').selectOption('resolved');
    await page
      .locator(`tr[data-case="${caseOf('A')}"] .outcome.fraud`)
      .waitFor({ timeout: 10_000 });
    await page.locator('select[name=status]').selectOption('active');
    await waitFor(async () => (await queue.count()) === 2, 10_000, 'two cases left to work');

    // Performance over the last day, now that A is labelled: every number as counted by hand.
    await page.getByRole('link', { name: 'Performance' }).click();
    await page.goto(`${base}/console/performance?${range}`);
    await waitForPerformance(
      page,
      expectedPerformance((p) => p.label),
    );
    assert.equal(await page.locator('[data-testid=perf-transactions]').innerText(), '7');
    assert.equal(await page.locator('[data-testid=perf-labelled]').innerText(), '4');
    assert.equal(await page.locator('[data-testid=perf-frauds]').innerText(), '3');
    await page
      .locator('tr[data-rule="walk-mobile-shadow"] .chip.shadow', { hasText: 'shadow' })
      .waitFor();
    // The charts: precision and recall per hour.
    await page.locator('[data-testid=performance-charts] .uplot').nth(1).waitFor({
      timeout: 20_000,
    });
    await shot(shots, page, 'performance');

    // The page changed with the case's label (the two tables it showed are not the same).
    assert.notDeepEqual(
      before,
      expectedPerformance((p) => p.label),
    );

    assert.deepEqual(browser.pageErrors, [], 'no page errors');
    assert.deepEqual(browser.offMachine, [], 'no request leaves loopback');
    assert.deepEqual(
      browser.httpErrors,
      [`409 POST /v1/cases/${caseOf('B')}/claim`],
      'only the refusal the test caused',
    );
  } catch (err) {
    const path = join(tmpdir(), `console-cases-failure-${process.pid}.png`);
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
  'console cases and performance on embedded defaults: queue, conflict, claim, resolve, precision and recall',
  { skip: noChromium, timeout: 240_000 },
  () => walk({ DATA_DIR: mkdtempSync(join(tmpdir(), 'risk-console-cases-')) }, true),
);

test(
  'console cases and performance with every store on (Redis, PostgreSQL, Kafka): the same walk',
  { skip: noChromium, timeout: 240_000 },
  async () => {
    const db = await createThrowawayDb('console_cases');
    const topic = uniqueTopic('console-cases-flags');
    await createTopic(topic);
    // The walk resolves cases: their events go to the topic serverModeEnv names beside it.
    await createTopic(`${topic}-cases`);
    const prefix = uniquePrefix('console-cases');
    try {
      await walk(
        {
          ...serverModeEnv(db.url, topic, mkdtempSync(join(tmpdir(), 'risk-console-cases-'))),
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
        },
        false,
      );
    } finally {
      const redis = connectTestRedis();
      await dropPrefix(redis, prefix).finally(() => redis.quit());
      await deleteTopic(topic);
      await deleteTopic(`${topic}-cases`);
      await db.drop();
    }
  },
);
