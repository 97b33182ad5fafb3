import { createRequire } from 'node:module';
import { now, sleep, summary } from '../lib/util.mjs';
import { N } from './settings.mjs';

const require = createRequire(import.meta.url);
const pg = require('pg');
const IORedis = require('ioredis');

/**
 * The floor under (a), in the same run, without Stepwise: a PostgreSQL
 * transaction of the same shape as a progress write (BEGIN, UPDATE of a task
 * row, upsert of a step row, INSERT of an event row RETURNING id, COMMIT) on
 * a pooled client, then a Redis PUBLISH of a ~400-byte JSON, timed until a
 * subscriber in this process receives it. Spaced 25 ms apart.
 */
export async function baselineScenario(ctx) {
  const pool = new pg.Pool({ connectionString: ctx.pgServer.url, max: 2 });
  const publisher = new IORedis(ctx.redisServer.url, { lazyConnect: true });
  const subscriber = new IORedis(ctx.redisServer.url, { lazyConnect: true });
  try {
    // Connected (and ready-checked) before SUBSCRIBE puts the connection in subscriber mode.
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await pool.query(`CREATE TABLE bench_rt_tasks (id int PRIMARY KEY, progress float8, message text, version int)`);
    await pool.query(
      `CREATE TABLE bench_rt_steps (task_id int, name text, progress float8, PRIMARY KEY (task_id, name))`,
    );
    await pool.query(`CREATE TABLE bench_rt_events (id bigserial PRIMARY KEY, task_id int, payload text)`);
    await pool.query(`INSERT INTO bench_rt_tasks VALUES (1, 0, '', 0)`);
    await subscriber.subscribe('bench-rt-baseline');
    let onMessage;
    subscriber.on('message', (_channel, raw) => onMessage?.(raw));
    const total = [];
    const sql = [];
    const redis = [];
    const payload = 'x'.repeat(400);
    for (let i = 0; i < N.baseline; i++) {
      const start = now();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          'UPDATE bench_rt_tasks SET progress = $1, message = $2, version = version + 1 WHERE id = 1',
          [i / N.baseline, `t=${start}`],
        );
        await client.query(
          `INSERT INTO bench_rt_steps VALUES (1, 'report', $1)
             ON CONFLICT (task_id, name) DO UPDATE SET progress = EXCLUDED.progress`,
          [i / N.baseline],
        );
        await client.query('INSERT INTO bench_rt_events (task_id, payload) VALUES (1, $1) RETURNING id', [payload]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const saved = now();
      let timer;
      const received = new Promise((resolve, reject) => {
        onMessage = resolve;
        timer = setTimeout(() => reject(new Error('baseline: a Redis message did not arrive within 5 s')), 5_000);
      });
      await publisher.publish('bench-rt-baseline', JSON.stringify({ i, start, payload }));
      await received.finally(() => clearTimeout(timer));
      const end = now();
      total.push(end - start);
      sql.push(saved - start);
      redis.push(end - saved);
      await sleep(25);
    }
    return { n: N.baseline, totalMs: summary(total), transactionMs: summary(sql), pubSubMs: summary(redis) };
  } finally {
    await pool.end().catch(() => undefined);
    publisher.disconnect();
    subscriber.disconnect();
  }
}
