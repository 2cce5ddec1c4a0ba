import type { Transaction } from '../../src/domain/transaction.ts';
import type { Category, Country, Customer, Merchant, Population } from './population.ts';
import {
  CATEGORIES,
  CATEGORY_CODES,
  COUNTRIES,
  COUNTRY_CODES,
  HOURLY_ACTIVITY,
  createPopulation,
  localKey,
} from './population.ts';
import { Rng } from './random.ts';

export const SCENARIOS = [
  'card_testing',
  'account_takeover',
  'compromised_merchant',
  'amount_anomaly',
  'impossible_travel',
  'mule_fan_in',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Label {
  fraud: boolean;
  scenario: Scenario | null;
  /** Transactions of one fraud campaign share it. */
  campaign: string | null;
}

export interface LabelledTransaction {
  transaction: Transaction;
  label: Label;
}

export interface SimulatorOptions {
  seed: number;
  customers?: number;
  merchants?: number;
  hours?: number;
  /** Event time where the simulation starts (ms). */
  startMs?: number;
  /** Prefix of every id, so that runs against one Redis do not share entities. */
  prefix?: string;
  /** Campaigns per 1,000 customers per day, by scenario. */
  rates?: Partial<Record<Scenario, number>>;
}

/**
 * Default campaign rates per 1,000 customers per day. Chosen so that about 1–2% of transactions
 * are fraudulent, higher than real card portfolios (0.1–0.2%) so that every scenario has enough
 * cases to measure in a short stream.
 */
export const DEFAULT_RATES: Record<Scenario, number> = {
  card_testing: 0.6,
  account_takeover: 0.8,
  compromised_merchant: 0.1,
  amount_anomaly: 1.5,
  impossible_travel: 0.8,
  mule_fan_in: 0.1,
};

const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 24 * HOUR;

interface Draft {
  at: number;
  tx: Omit<Transaction, 'transaction_id' | 'timestamp'>;
  label: Label;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const NORMAL: Label = { fraud: false, scenario: null, campaign: null };

/** Great-circle distance in km (haversine). */
export function distanceKm(a: Country, b: Country): number {
  const p = COUNTRIES[a];
  const q = COUNTRIES[b];
  const rad = Math.PI / 180;
  const dLat = (q.lat - p.lat) * rad;
  const dLon = (q.lon - p.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(p.lat * rad) * Math.cos(q.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/**
 * A seeded, labelled stream of card transactions, in event-time order: customers with home
 * countries, cards, devices and spending habits shop at merchants of their favourite categories
 * on a day/night rhythm (local time), now and then abroad; six fraud scenarios are mixed in,
 * every one of their transactions labelled with its scenario and campaign.
 */
export function simulate(opts: SimulatorOptions): LabelledTransaction[] {
  const rng = new Rng(opts.seed);
  const customersN = opts.customers ?? 2_000;
  const hours = opts.hours ?? 48;
  const start = opts.startMs ?? Date.parse('2026-01-05T00:00:00Z');
  const end = start + hours * HOUR;
  const prefix = opts.prefix ?? `s${opts.seed}-`;
  const pop = createPopulation(rng, {
    customers: customersN,
    merchants: opts.merchants ?? Math.max(50, Math.round(customersN / 5)),
    prefix,
  });
  const drafts: Draft[] = [];
  const ctx = new Context(rng, pop, prefix);

  for (const c of pop.customers) {
    for (let day = start; day < end; day += DAY) {
      // About one customer-day in fifty is spent abroad: legitimate foreign transactions.
      const abroad = rng.chance(0.02) ? ctx.otherCountry(c.country) : undefined;
      for (let k = rng.poisson(c.perDay); k > 0; k--) {
        const country = abroad ?? c.country;
        const localHour = rng.weightedIndex(HOURLY_ACTIVITY);
        const at = Math.floor(
          day + (localHour - COUNTRIES[country].tz) * HOUR + rng.float() * HOUR,
        );
        if (at < start || at >= end) continue;
        drafts.push({ at, tx: ctx.purchase(c, { country }), label: NORMAL });
      }
    }
  }

  const days = hours / 24;
  const rates = { ...DEFAULT_RATES, ...opts.rates };
  let campaign = 0;
  for (const scenario of SCENARIOS) {
    const n = rng.poisson((rates[scenario] * customersN * days) / 1000);
    for (let i = 0; i < n; i++) {
      // Leave the first six hours for history to build up.
      const at = Math.floor(start + 6 * HOUR + rng.float() * Math.max(0, end - start - 7 * HOUR));
      const id = `${scenario}-${campaign++}`;
      drafts.push(...SCENARIO_BUILDERS[scenario](ctx, at, id));
    }
  }

  drafts.sort((a, b) => a.at - b.at);
  return drafts
    .filter((d) => d.at >= start && d.at < end)
    .map((d, i) => ({
      transaction: {
        transaction_id: `${prefix}t${i}`,
        timestamp: new Date(d.at).toISOString(),
        ...d.tx,
      },
      label: d.label,
    }));
}

/** What the scenario builders share: the random source, the population, fresh fraud ids. */
class Context {
  private fraudIds = 0;

  readonly rng: Rng;
  readonly pop: Population;
  readonly prefix: string;

  constructor(rng: Rng, pop: Population, prefix: string) {
    this.rng = rng;
    this.pop = pop;
    this.prefix = prefix;
  }

  customer(): Customer {
    return this.rng.pick(this.pop.customers);
  }

  otherCountry(not: Country): Country {
    let c = not;
    while (c === not) c = this.rng.pick(COUNTRY_CODES);
    return c;
  }

  merchant(country: Country, category: Category): Merchant {
    const local = this.pop.local.get(localKey(country, category));
    if (local !== undefined && local.length > 0) return this.rng.pick(local);
    const anyOfCategory = this.pop.merchants.filter((m) => m.category === category);
    return this.rng.pick(anyOfCategory.length > 0 ? anyOfCategory : this.pop.merchants);
  }

  fraudDevice(): string {
    return `${this.prefix}fd${this.fraudIds++}`;
  }

  fraudIp(): string {
    const n = this.fraudIds++;
    return `203.0.${(n >> 8) & 255}.${n & 255}`;
  }

  habitualAmount(c: Customer, category: Category): number {
    const x = Math.exp(c.amountMu + c.amountSigma * this.rng.normal()) * CATEGORIES[category].scale;
    return Math.max(0.5, round2(x));
  }

  /** A purchase in the customer's habits (favourite categories, usual card and device). */
  purchase(
    c: Customer,
    over: { country?: Country; category?: Category; amount?: number } = {},
  ): Draft['tx'] {
    const rng = this.rng;
    const country = over.country ?? c.country;
    const category =
      over.category ??
      (rng.chance(0.75)
        ? rng.pick(c.favourites)
        : CATEGORY_CODES[rng.weightedIndex(CATEGORY_CODES.map((k) => CATEGORIES[k].weight))]!);
    const merchant = this.merchant(country, category);
    const channel = CATEGORIES[category].channel;
    const tx: Draft['tx'] = {
      amount: over.amount ?? this.habitualAmount(c, category),
      currency: 'USD',
      account_id: c.accountId,
      card_id: c.cards[rng.chance(0.8) ? 0 : c.cards.length - 1]!,
      merchant_id: merchant.id,
      merchant_category: category,
      channel,
      location: country,
      latitude: round2(COUNTRIES[country].lat + rng.between(-0.2, 0.2)),
      longitude: round2(COUNTRIES[country].lon + rng.between(-0.2, 0.2)),
    };
    // Card-present payments carry no customer device or IP.
    if (channel !== 'pos') {
      tx.device_id = c.devices[rng.chance(0.9) ? 0 : c.devices.length - 1]!;
      tx.ip = country === c.country ? c.ip : `172.16.${c.index & 255}.${rng.int(1, 254)}`;
    }
    return tx;
  }
}

type Builder = (ctx: Context, at: number, campaign: string) => Draft[];

const fraud = (scenario: Scenario, campaign: string): Label => ({
  fraud: true,
  scenario,
  campaign,
});

const SCENARIO_BUILDERS: Record<Scenario, Builder> = {
  /** A stolen card checked with small payments at many web shops, then (often) cashed out. */
  card_testing(ctx, at, campaign) {
    const { rng } = ctx;
    const victim = ctx.customer();
    const label = fraud('card_testing', campaign);
    const device = ctx.fraudDevice();
    const ip = ctx.fraudIp();
    const country = rng.chance(0.5) ? victim.country : ctx.otherCountry(victim.country);
    const card = victim.cards[0]!;
    const out: Draft[] = [];
    const tests = rng.int(6, 20);
    const span = rng.between(2, 12) * MIN;
    for (let i = 0; i < tests; i++) {
      const category = rng.pick(['5999', '5967', '5812'] as const);
      out.push({
        at: at + Math.floor((span * i) / tests),
        tx: {
          ...ctx.purchase(victim, { country, category, amount: round2(rng.between(0.5, 4.99)) }),
          card_id: card,
          device_id: device,
          ip,
          channel: 'ecommerce',
        },
        label,
      });
    }
    if (rng.chance(0.6)) {
      out.push({
        at: at + span + Math.floor(rng.between(5, 30) * MIN),
        tx: {
          ...ctx.purchase(victim, {
            country,
            category: '5732',
            amount: round2(rng.between(150, 900)),
          }),
          card_id: card,
          device_id: device,
          ip,
          channel: 'ecommerce',
        },
        label,
      });
    }
    return out;
  },

  /** Someone else logs in from a new device abroad and spends big within hours. */
  account_takeover(ctx, at, campaign) {
    const { rng } = ctx;
    const victim = ctx.customer();
    const label = fraud('account_takeover', campaign);
    const device = ctx.fraudDevice();
    const ip = ctx.fraudIp();
    const country = ctx.otherCountry(victim.country);
    const out: Draft[] = [];
    let t = at;
    for (let i = rng.int(2, 5); i > 0; i--) {
      const category = rng.pick(['5732', '5944', '4829'] as const);
      const amount = round2(Math.max(300, Math.exp(victim.amountMu) * rng.between(8, 30)));
      out.push({
        at: t,
        tx: {
          ...ctx.purchase(victim, { country, category, amount }),
          device_id: device,
          ip,
          channel: 'ecommerce',
        },
        label,
      });
      t += Math.floor(rng.between(5, 45) * MIN);
    }
    return out;
  },

  /** A merchant account in fraudsters' hands charges many customers' cards in a short night. */
  compromised_merchant(ctx, at, campaign) {
    const { rng } = ctx;
    const label = fraud('compromised_merchant', campaign);
    const category = rng.pick(['5999', '5812', '5411'] as const);
    const merchant = ctx.merchant(rng.pick(COUNTRY_CODES), category);
    // At night in the merchant's country.
    const nightStart = Math.floor(at / DAY) * DAY + (1 - COUNTRIES[merchant.country].tz) * HOUR;
    const span = rng.between(30, 120) * MIN;
    const out: Draft[] = [];
    for (let i = rng.int(15, 50); i > 0; i--) {
      const victim = ctx.customer();
      out.push({
        at: Math.floor(nightStart + rng.float() * span),
        tx: {
          ...ctx.purchase(victim, {
            country: merchant.country,
            category,
            amount: round2(rng.between(40, 400)),
          }),
          merchant_id: merchant.id,
          channel: 'ecommerce',
          device_id: undefined,
          ip: undefined,
        },
        label,
      });
    }
    return out.map((d) => ({ ...d, tx: dropUndefined(d.tx) }));
  },

  /** One payment far above what the customer ever spends, from their usual device. */
  amount_anomaly(ctx, at, campaign) {
    const { rng } = ctx;
    const victim = ctx.customer();
    const category = rng.chance(0.5)
      ? rng.pick(victim.favourites)
      : rng.pick(['5732', '5944'] as const);
    const amount = round2(
      Math.exp(victim.amountMu) * CATEGORIES[category].scale * rng.between(15, 60),
    );
    return [
      {
        at,
        tx: ctx.purchase(victim, { category, amount }),
        label: fraud('amount_anomaly', campaign),
      },
    ];
  },

  /** A card-present payment at home, then the same card at a shop thousands of km away. */
  impossible_travel(ctx, at, campaign) {
    const { rng } = ctx;
    const victim = ctx.customer();
    const label = fraud('impossible_travel', campaign);
    let far = ctx.otherCountry(victim.country);
    for (let tries = 0; tries < 10 && distanceKm(victim.country, far) < 3000; tries++)
      far = ctx.otherCountry(victim.country);
    const card = victim.cards[0]!;
    const out: Draft[] = [
      // The genuine one, at home.
      { at, tx: { ...ctx.purchase(victim, { category: '5411' }), card_id: card }, label: NORMAL },
    ];
    let t = at + Math.floor(rng.between(20, 90) * MIN);
    for (let i = rng.int(1, 3); i > 0; i--) {
      const tx = ctx.purchase(victim, {
        country: far,
        category: rng.pick(['5311', '5732', '5944'] as const),
        amount: round2(rng.between(100, 800)),
      });
      out.push({
        at: t,
        tx: dropUndefined({
          ...tx,
          card_id: card,
          channel: 'pos',
          device_id: undefined,
          ip: undefined,
        }),
        label,
      });
      t += Math.floor(rng.between(5, 30) * MIN);
    }
    return out;
  },

  /** Many taken-over accounts wire money to one mule, driven from a few fraudster devices. */
  mule_fan_in(ctx, at, campaign) {
    const { rng } = ctx;
    const label = fraud('mule_fan_in', campaign);
    const mule = `${ctx.prefix}mule-${campaign}`;
    const devices = Array.from({ length: rng.int(1, 3) }, () => ({
      device: ctx.fraudDevice(),
      ip: ctx.fraudIp(),
    }));
    const span = rng.between(1, 6) * HOUR;
    const out: Draft[] = [];
    for (let i = rng.int(12, 40); i > 0; i--) {
      const victim = ctx.customer();
      const from = rng.pick(devices);
      out.push({
        at: Math.floor(at + rng.float() * span),
        tx: {
          ...ctx.purchase(victim, {
            category: '4829',
            amount: Math.round(rng.between(4, 40)) * 50,
          }),
          merchant_id: mule,
          device_id: from.device,
          ip: from.ip,
          channel: 'mobile',
        },
        label,
      });
    }
    return out;
  },
};

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
