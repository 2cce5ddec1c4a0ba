import pg from 'pg';
import type { Database, Queryable } from './database.ts';
import { quoteIdent } from './database.ts';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Pool size; scoring never waits on the database, so a few connections suffice. */
  max?: number;
  /** Gives up connecting after this long (ms). */
  connectionTimeoutMs?: number;
  /** Aborts a statement that runs longer (ms). */
  statementTimeoutMs?: number;
  onError?: (err: Error, where: string) => void;
}

const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5_000;

/** A PostgreSQL server through a `pg` pool, plus one dedicated connection per LISTEN. */
export function createPgDatabase(opts: PgDatabaseOptions): Database {
  const clientConfig: pg.ClientConfig = {
    connectionString: opts.connectionString,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    application_name: 'risk-scoring',
  };
  const pool = new pg.Pool({ ...clientConfig, max: opts.max ?? 4, idleTimeoutMillis: 30_000 });
  const onError = opts.onError ?? (() => undefined);
  // An idle pooled client that loses its server emits here; without a listener it would crash.
  pool.on('error', (err) => onError(err, 'pool'));
  const listeners = new Set<() => Promise<void>>();
  let closed = false;

  async function query<T extends object>(text: string, params?: readonly unknown[]) {
    const res = await pool.query<T>(text, params as unknown[] | undefined);
    return res.rows;
  }

  return {
    kind: 'postgres',
    query,
    async exec(text: string) {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<R extends object>(text: string, params?: readonly unknown[]) {
            return (await client.query<R>(text, params as unknown[] | undefined)).rows;
          },
          async exec(text: string) {
            await client.query(text);
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async listen(channel, onNotify, onReconnect) {
      let client: pg.Client | undefined;
      let stopped = false;
      let delay = RECONNECT_MIN_MS;
      let timer: NodeJS.Timeout | undefined;

      const connect = async (isReconnect: boolean): Promise<void> => {
        const c = new pg.Client(clientConfig);
        c.on('notification', (msg) => {
          if (msg.channel === channel) onNotify(msg.payload ?? '');
        });
        c.on('error', (err) => {
          onError(err, `listen ${channel}`);
          schedule();
        });
        c.on('end', () => {
          if (client === c) schedule();
        });
        try {
          await c.connect();
          await c.query(`LISTEN ${quoteIdent(channel)}`);
        } catch (err) {
          void c.end().catch(() => undefined);
          throw err;
        }
        if (stopped) {
          await c.end().catch(() => undefined);
          return;
        }
        client = c;
        delay = RECONNECT_MIN_MS;
        if (isReconnect) onReconnect?.();
      };

      const schedule = (): void => {
        if (stopped || timer !== undefined) return;
        const old = client;
        client = undefined;
        void old?.end().catch(() => undefined);
        // Full jitter: replicas that lost the same server do not reconnect in lockstep.
        const wait = Math.random() * delay;
        delay = Math.min(RECONNECT_MAX_MS, delay * 2);
        timer = setTimeout(() => {
          timer = undefined;
          connect(true).catch((err: unknown) => {
            onError(err instanceof Error ? err : new Error(String(err)), `listen ${channel}`);
            schedule();
          });
        }, wait);
        timer.unref();
      };

      await connect(false);
      const stop = async (): Promise<void> => {
        stopped = true;
        listeners.delete(stop);
        if (timer !== undefined) clearTimeout(timer);
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
      };
      listeners.add(stop);
      return stop;
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((stop) => stop()));
      await pool.end();
    },
  };
}
