import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Transaction } from '../src/domain/transaction.js';

export interface GeneratorOptions {
  /** Same seed, same stream. */
  seed?: number;
  accounts?: number;
  merchants?: number;
  /** Event time of the first transaction (ms); later ones advance by 1000 / eventsPerSecond. */
  startMs?: number;
  eventsPerSecond?: number;
  /** Prefix of transaction ids, so that runs against one Redis never collide. */
  idPrefix?: string;
}

const CATEGORIES = ['5411', '5812', '5999', '4111', '5732', '5311', '7995', '6051', '4829', '5967'];
const CATEGORY_WEIGHTS = [30, 20, 15, 10, 8, 7, 4, 3, 2, 1];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NG', 'BR', 'IN'];
const CHANNELS = ['ecommerce', 'pos', 'mobile'];

/**
 * A deterministic stream of plausible card transactions: accounts with one or two cards and a
 * home device, country and IP, merchants in weighted categories, log-uniform amounts from 1 to
 * 5,000, and now and then a transaction from another country or device.
 */
export function createTxGenerator(opts: GeneratorOptions = {}): () => Transaction {
  const rng = xoroshiro128plus(opts.seed ?? 42);
  const accounts = opts.accounts ?? 5_000;
  const merchants = opts.merchants ?? 500;
  const start = opts.startMs ?? Date.now() - 60_000;
  const step = 1000 / (opts.eventsPerSecond ?? 1000);
  const prefix = opts.idPrefix ?? `gen-${Date.now().toString(36)}`;
  const int = (lo: number, hi: number) => uniformInt(rng, lo, hi);
  const chance = (pct: number) => int(0, 9999) < pct * 100;
  const totalWeight = CATEGORY_WEIGHTS.reduce((a, b) => a + b, 0);
  const category = (): string => {
    let r = int(0, totalWeight - 1);
    for (const [i, w] of CATEGORY_WEIGHTS.entries()) {
      if (r < w) return CATEGORIES[i]!;
      r -= w;
    }
    return CATEGORIES[0]!;
  };
  let n = 0;

  return () => {
    const a = int(0, accounts - 1);
    const m = int(0, merchants - 1);
    const home = COUNTRIES[a % COUNTRIES.length]!;
    const amount = Math.round(Math.exp(int(0, 8517) / 1000) * 100) / 100;
    const tx: Transaction = {
      transaction_id: `${prefix}-${n}`,
      timestamp: new Date(start + Math.floor(n * step)).toISOString(),
      amount,
      currency: 'USD',
      account_id: `acct-${a}`,
      card_id: `card-${a}-${chance(20) ? 1 : 0}`,
      device_id: chance(5) ? `dev-x${int(0, 999)}` : `dev-${a}`,
      ip: `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}`,
      merchant_id: `merch-${m}`,
      merchant_category: category(),
      location: chance(3) ? COUNTRIES[int(0, COUNTRIES.length - 1)]! : home,
      channel: CHANNELS[int(0, CHANNELS.length - 1)]!,
    };
    n += 1;
    return tx;
  };
}
