/**
 * The ceiling for REST scoring: the same HTTP stack doing only what scoring cannot avoid —
 * parse the JSON body, one Redis round trip (a Lua script, like the velocity update), and a
 * JSON reply. Scoring throughput is reported as a fraction of this server's.
 */
import fastify, { LogController } from 'fastify';
import { Redis } from 'ioredis';
import { MAX_BODY_BYTES } from '../../src/domain/transaction.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6380', {
  enableAutoPipelining: true,
});
redis.defineCommand('ceilingTouch', { numberOfKeys: 1, lua: "return redis.call('INCR', KEYS[1])" });
const touch = (
  redis as unknown as { ceilingTouch(key: string): Promise<number> }
).ceilingTouch.bind(redis);
const prefix = process.env.REDIS_KEY_PREFIX ?? 'ceiling:';

const app = fastify({
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: MAX_BODY_BYTES,
});
app.post<{ Body: { transaction_id: string; account_id: string } }>('/v1/score', async (req) => {
  const n = await touch(`${prefix}${req.body.account_id}`);
  return { transaction_id: req.body.transaction_id, decision: 'approve', risk_score: 0, count: n };
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.HTTP_PORT ?? 0) });
process.stdout.write(`Server listening at ${address}\n`);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => redis.quit())
    .then(() => process.exit(0));
});
