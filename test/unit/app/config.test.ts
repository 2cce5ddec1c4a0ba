import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../src/app/config.ts';

describe('loadConfig', () => {
  test('defaults are DESIGN.md §5', () => {
    const c = loadConfig({});
    assert.equal(c.HTTP_PORT, 8080);
    assert.equal(c.GRPC_PORT, 50051);
    assert.equal(c.KAFKA_FLAGS_TOPIC, 'risk.flags');
    assert.equal(c.KAFKA_CASE_EVENTS_TOPIC, 'risk.case-events');
    assert.equal(c.RISK_WINDOW_SECONDS, 60);
    assert.equal(c.REDIS_URL, undefined);
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.KAFKA_BROKERS, undefined);
    assert.ok(Object.isFrozen(c));
  });

  test('empty variables count as unset', () => {
    assert.equal(loadConfig({ REDIS_URL: '', HTTP_PORT: '' }).HTTP_PORT, 8080);
  });

  test('values are parsed', () => {
    const c = loadConfig({
      HTTP_PORT: '9000',
      REDIS_URL: 'redis://127.0.0.1:6380',
      KAFKA_BROKERS: 'a:9092,b:9093',
      DATABASE_URL: 'postgres://u:p@h:5432/d',
    });
    assert.equal(c.HTTP_PORT, 9000);
    assert.equal(c.KAFKA_BROKERS, 'a:9092,b:9093');
  });

  test('REDIS_CLUSTER_NODES is a list of host:port', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-0.redis:6379,[::1]:7002' });
    assert.deepEqual(c.REDIS_CLUSTER_NODES, [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-0.redis', port: 6379 },
      { host: '::1', port: 7002 },
    ]);
    assert.equal(loadConfig({}).REDIS_CLUSTER_NODES, undefined);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ REDIS_CLUSTER_NODES: '10.0.0.1' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: '10.0.0.1:7000,' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:7000;b:7001' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'redis://a:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:70000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_KEY_PREFIX: '{risk}:' }, 'REDIS_KEY_PREFIX'],
    [{ HTTP_PORT: 'eighty' }, 'HTTP_PORT'],
    [{ HTTP_PORT: '70000' }, 'HTTP_PORT'],
    [{ GRPC_PORT: '-1' }, 'GRPC_PORT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ RISK_WINDOW_SECONDS: '0' }, 'RISK_WINDOW_SECONDS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RULES_ENGINE: 'drools' }, 'RULES_ENGINE'],
    [{ KAFKA_CASE_EVENTS_TOPIC: 'case events' }, 'KAFKA_CASE_EVENTS_TOPIC'],
    [{ KAFKA_CASE_EVENTS_TOPIC: 'x'.repeat(250) }, 'KAFKA_CASE_EVENTS_TOPIC'],
    [{ KAFKA_CASE_EVENTS_TOPIC: 'risk.flags' }, 'KAFKA_CASE_EVENTS_TOPIC'],
    [
      { DECISION_REVIEW_THRESHOLD: '90', DECISION_DECLINE_THRESHOLD: '80' },
      'DECISION_REVIEW_THRESHOLD',
    ],
  ];
  for (const [env, name] of bad) {
    test(`a bad ${name} fails naming it`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.message.includes(`${name}:`),
      );
    });
  }
});
