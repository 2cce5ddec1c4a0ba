import type { Rng } from './random.ts';

/** Countries of the simulated world: where people live, shop and travel. */
export const COUNTRIES = {
  US: { lat: 40.71, lon: -74.01, tz: -5, weight: 30 },
  GB: { lat: 51.51, lon: -0.13, tz: 0, weight: 12 },
  DE: { lat: 52.52, lon: 13.4, tz: 1, weight: 10 },
  FR: { lat: 48.86, lon: 2.35, tz: 1, weight: 8 },
  CA: { lat: 43.65, lon: -79.38, tz: -5, weight: 6 },
  BR: { lat: -23.55, lon: -46.63, tz: -3, weight: 8 },
  IN: { lat: 19.08, lon: 72.88, tz: 5.5, weight: 10 },
  NG: { lat: 6.52, lon: 3.38, tz: 1, weight: 4 },
  JP: { lat: 35.68, lon: 139.69, tz: 9, weight: 7 },
  AU: { lat: -33.87, lon: 151.21, tz: 10, weight: 5 },
} as const;
export type Country = keyof typeof COUNTRIES;
export const COUNTRY_CODES = Object.keys(COUNTRIES) as Country[];

/** Merchant categories (ISO 18245 MCC) with how often people shop there and typical channel. */
export const CATEGORIES = {
  '5411': { name: 'grocery', weight: 30, channel: 'pos', scale: 0.8 },
  '5812': { name: 'restaurants', weight: 20, channel: 'pos', scale: 0.9 },
  '5541': { name: 'fuel', weight: 10, channel: 'pos', scale: 1.0 },
  '5311': { name: 'department stores', weight: 8, channel: 'pos', scale: 1.5 },
  '5999': { name: 'misc retail', weight: 8, channel: 'ecommerce', scale: 1.0 },
  '5732': { name: 'electronics', weight: 5, channel: 'ecommerce', scale: 3.0 },
  '4111': { name: 'transit', weight: 8, channel: 'mobile', scale: 0.3 },
  '5967': { name: 'direct marketing', weight: 3, channel: 'ecommerce', scale: 0.8 },
  '5944': { name: 'jewellery', weight: 1, channel: 'pos', scale: 5.0 },
  '4829': { name: 'money transfer', weight: 2, channel: 'mobile', scale: 2.0 },
  '7995': { name: 'gambling', weight: 1, channel: 'ecommerce', scale: 1.5 },
} as const;
export type Category = keyof typeof CATEGORIES;
export const CATEGORY_CODES = Object.keys(CATEGORIES) as Category[];

export interface Customer {
  index: number;
  accountId: string;
  cards: string[];
  devices: string[];
  ip: string;
  country: Country;
  /** Log of the median amount, and the spread of amounts (log scale). */
  amountMu: number;
  amountSigma: number;
  /** Mean transactions per day. */
  perDay: number;
  /** Categories this customer mostly shops in. */
  favourites: Category[];
}

export interface Merchant {
  id: string;
  category: Category;
  country: Country;
}

export interface Population {
  customers: Customer[];
  merchants: Merchant[];
  /** Merchants by country and category, for picking a local shop. */
  local: Map<string, Merchant[]>;
}

export const localKey = (country: Country, category: Category): string => `${country}/${category}`;

/** Customers with homes, cards, devices and spending habits; merchants with categories. */
export function createPopulation(
  rng: Rng,
  opts: { customers: number; merchants: number; prefix: string },
): Population {
  const countryWeights = COUNTRY_CODES.map((c) => COUNTRIES[c].weight);
  const categoryWeights = CATEGORY_CODES.map((c) => CATEGORIES[c].weight);
  const merchants: Merchant[] = [];
  const local = new Map<string, Merchant[]>();
  for (let i = 0; i < opts.merchants; i++) {
    const m: Merchant = {
      id: `${opts.prefix}m${i}`,
      category: CATEGORY_CODES[rng.weightedIndex(categoryWeights)]!,
      country: COUNTRY_CODES[rng.weightedIndex(countryWeights)]!,
    };
    merchants.push(m);
    const key = localKey(m.country, m.category);
    const list = local.get(key) ?? [];
    list.push(m);
    local.set(key, list);
  }
  const customers: Customer[] = [];
  for (let i = 0; i < opts.customers; i++) {
    const country = COUNTRY_CODES[rng.weightedIndex(countryWeights)]!;
    const favourites = new Set<Category>();
    while (favourites.size < 3) favourites.add(CATEGORY_CODES[rng.weightedIndex(categoryWeights)]!);
    customers.push({
      index: i,
      accountId: `${opts.prefix}a${i}`,
      cards: Array.from({ length: rng.chance(0.3) ? 2 : 1 }, (_, k) => `${opts.prefix}c${i}-${k}`),
      devices: Array.from(
        { length: rng.chance(0.4) ? 2 : 1 },
        (_, k) => `${opts.prefix}d${i}-${k}`,
      ),
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      country,
      // Median amounts from about 8 to 150: some people buy coffee, some buy furniture.
      amountMu: rng.between(Math.log(8), Math.log(150)),
      amountSigma: rng.between(0.5, 1.0),
      perDay: rng.between(0.3, 5),
      favourites: [...favourites],
    });
  }
  return { customers, merchants, local };
}

/**
 * Relative activity by local hour: quiet at night, peaks at lunch and early evening. Weights
 * chosen by hand to resemble published card-spend curves; only the shape matters here.
 */
export const HOURLY_ACTIVITY = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.12, 0.35, 0.7, 0.9, 1.0, 1.05, 1.2, 1.35, 1.2, 1.05, 1.0, 1.1,
  1.3, 1.45, 1.35, 1.1, 0.8, 0.5, 0.3,
];
