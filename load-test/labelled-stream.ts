import type { Random } from '../src/domain/anomaly/random.js';
import { seededRandom } from '../src/domain/anomaly/random.js';
import type { Transaction } from '../src/domain/transaction.js';

/** What kind of traffic a simulated transaction belongs to; everything but `normal` is fraud. */
export type Pattern =
  'normal' | 'card-testing' | 'account-takeover' | 'bot-burst' | 'shared-device';

export interface LabelledTransaction {
  tx: Transaction;
  /** 1 for fraud, 0 for normal. */
  label: 0 | 1;
  pattern: Pattern;
}

export interface LabelledStreamOptions {
  /** Same seed, same stream. */
  seed: number;
  accounts?: number;
  merchants?: number;
  /** Mean transactions per account per day (default 6). */
  perAccountPerDay?: number;
  /** Share of arrivals that start a fraud episode instead (default 0: normal traffic only). */
  fraudRate?: number;
  /** Event time of the stream's start (default 2024-01-01T00:00:00Z). */
  startMs?: number;
  idPrefix?: string;
}

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'BR', 'IN', 'NG'];
const CATEGORIES = ['5411', '5812', '5999', '4111', '5732', '5311', '5541', '5912'];
const CHANNELS = ['ecommerce', 'pos', 'mobile'];
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Account {
  id: string;
  /** Accounts of one household share an IP, and some of them a device. */
  ip: string;
  device: string;
  home: string;
  /** Median amount of the account's purchases. */
  median: number;
  merchants: number[];
  channel: string;
}

function gaussian(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/**
 * Relative intensity of traffic at an hour of the day (mean 1): a peak mid-afternoon, a trough
 * around 2 a.m., in UTC.
 */
export function diurnal(hour: number): number {
  return 1 + 0.8 * Math.cos((2 * Math.PI * (hour - 14)) / 24);
}

/**
 * A seeded, labelled stream of card transactions in event-time order, for training the anomaly
 * model and measuring it. Normal traffic: each account buys from its own dozen merchants in its
 * home country on its own device, card and IP, with log-normal amounts around its own median,
 * more by day than by night; now and then from another device or country (travel, a new phone).
 * With `fraudRate` > 0 some arrivals start a fraud episode instead, every transaction of which is
 * labelled 1:
 *
 * - card-testing: 5–12 charges of 0.50–5.00 on one card within minutes, at different merchants,
 *   from a foreign device and IP;
 * - account-takeover: 1–3 purchases of 8–30 times the account's median from a new device in
 *   another country;
 * - bot-burst: 6–15 purchases of ordinary size within two minutes at different merchants;
 * - shared-device: one device and IP used by 5–8 accounts within an hour.
 */
export function createLabelledStream(opts: LabelledStreamOptions): () => LabelledTransaction {
  const r = seededRandom(opts.seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r.next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
  const nAccounts = opts.accounts ?? 2_000;
  const nMerchants = opts.merchants ?? 500;
  const fraudRate = opts.fraudRate ?? 0;
  const prefix = opts.idPrefix ?? `sim${opts.seed}`;
  // Arrivals per millisecond at the diurnal peak (1.8 × the mean rate), thinned by the hour.
  const peakRate = (1.8 * nAccounts * (opts.perAccountPerDay ?? 6)) / DAY_MS;

  // Households: runs of 1–4 consecutive accounts behind one IP (a home router); in a household of
  // several, the first two accounts share a device (a family tablet).
  const head: number[] = [];
  const members: number[] = [];
  for (let a = 0; a < nAccounts;) {
    const size = Math.min(r.next() < 0.7 ? 1 : int(2, 4), nAccounts - a);
    for (let k = 0; k < size; k++, a++) {
      head.push(a - k);
      members.push(size);
    }
  }
  const accounts: Account[] = Array.from({ length: nAccounts }, (_, a) => ({
    id: `acct-${a}`,
    home: COUNTRIES[a % COUNTRIES.length]!,
    ip: `ip-home-${head[a]!}`,
    device: members[a]! > 1 && a - head[a]! < 2 ? `dev-home-${head[a]!}` : `dev-${a}`,
    median: Math.exp(Math.log(10) + r.next() * Math.log(20)), // 10 to 200
    merchants: Array.from({ length: 12 }, () => int(0, nMerchants - 1)),
    channel: pick(CHANNELS),
  }));

  let now = opts.startMs ?? Date.parse('2024-01-01T00:00:00Z');
  let n = 0;
  let episode = 0;
  /** Fraud transactions waiting for their event time, kept sorted by it. */
  const pending: LabelledTransaction[] = [];
  const schedule = (e: LabelledTransaction): void => {
    const t = Date.parse(e.tx.timestamp);
    let i = pending.length;
    while (i > 0 && Date.parse(pending[i - 1]!.tx.timestamp) > t) i--;
    pending.splice(i, 0, e);
  };

  const setMerchant = (tx: Transaction, m: number): void => {
    tx.merchant_id = `merch-${m}`;
    tx.merchant_category = CATEGORIES[m % CATEGORIES.length]!;
  };
  const base = (a: Account, at: number): Transaction => {
    const tx: Transaction = {
      transaction_id: `${prefix}-${n++}`,
      timestamp: new Date(Math.floor(at)).toISOString(),
      amount: Math.max(0.5, Math.round(a.median * Math.exp(0.6 * gaussian(r)) * 100) / 100),
      currency: 'USD',
      account_id: a.id,
      card_id: `card-${a.id}`,
      device_id: a.device,
      ip: a.ip,
      location: a.home,
      channel: a.channel,
    };
    setMerchant(tx, pick(a.merchants));
    return tx;
  };

  function normal(at: number): LabelledTransaction {
    const a = pick(accounts);
    const tx = base(a, at);
    if (r.next() < 0.02) tx.device_id = `dev-${a.id}-alt`;
    if (r.next() < 0.02) tx.location = pick(COUNTRIES);
    return { tx, label: 0, pattern: 'normal' };
  }

  function startEpisode(at: number): void {
    const a = pick(accounts);
    const e = episode++;
    const fraud = (tx: Transaction, pattern: Pattern): void => schedule({ tx, label: 1, pattern });
    switch (pick(['card-testing', 'account-takeover', 'bot-burst', 'shared-device'] as const)) {
      case 'card-testing': {
        let t = at;
        for (let k = int(5, 12); k > 0; k--) {
          const tx = base(a, t);
          tx.amount = int(50, 500) / 100;
          setMerchant(tx, int(0, nMerchants - 1));
          tx.device_id = `dev-fraud-${e}`;
          tx.ip = `ip-fraud-${e}`;
          tx.channel = 'ecommerce';
          fraud(tx, 'card-testing');
          t += int(5, 60) * 1000;
        }
        break;
      }
      case 'account-takeover': {
        const country = pick(COUNTRIES.filter((c) => c !== a.home));
        let t = at;
        for (let k = int(1, 3); k > 0; k--) {
          const tx = base(a, t);
          tx.amount = Math.round(a.median * (8 + r.next() * 22) * 100) / 100;
          tx.device_id = `dev-fraud-${e}`;
          tx.ip = `ip-fraud-${e}`;
          tx.location = country;
          setMerchant(tx, int(0, nMerchants - 1));
          fraud(tx, 'account-takeover');
          t += int(60, 900) * 1000;
        }
        break;
      }
      case 'bot-burst': {
        let t = at;
        for (let k = int(6, 15); k > 0; k--) {
          const tx = base(a, t);
          setMerchant(tx, int(0, nMerchants - 1));
          fraud(tx, 'bot-burst');
          t += int(2, 15) * 1000;
        }
        break;
      }
      case 'shared-device': {
        let t = at;
        for (let k = int(5, 8); k > 0; k--) {
          const tx = base(pick(accounts), t);
          tx.device_id = `dev-fraud-${e}`;
          tx.ip = `ip-fraud-${e}`;
          fraud(tx, 'shared-device');
          t += int(60, 600) * 1000;
        }
        break;
      }
    }
  }

  return () => {
    for (;;) {
      // The next normal arrival, by thinning a Poisson process at the peak rate.
      let next = now;
      do next += -Math.log(1 - r.next()) / peakRate;
      while (r.next() * 1.8 > diurnal(((next % DAY_MS) / HOUR_MS) % 24));
      const head = pending[0];
      if (head !== undefined && Date.parse(head.tx.timestamp) <= next) {
        pending.shift();
        return head;
      }
      now = next;
      if (fraudRate > 0 && r.next() < fraudRate) {
        startEpisode(now);
        continue;
      }
      return normal(now);
    }
  };
}
