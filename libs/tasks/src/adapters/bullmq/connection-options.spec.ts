import Redis, { Cluster } from 'ioredis';
import { redisOptionsOf } from './connection-options';

describe('redisOptionsOf (BullModule connection to ioredis options)', () => {
  it('keeps plain options as given', () => {
    expect(redisOptionsOf({ host: 'redis', port: 6380, db: 2, password: 'p' })).toEqual({
      host: 'redis',
      port: 6380,
      db: 2,
      password: 'p',
    });
  });

  it('reads a url, the other options winning', () => {
    expect(redisOptionsOf({ url: 'redis://u:pw@cache:6390/3', connectionName: 'app' })).toMatchObject({
      host: 'cache',
      port: 6390,
      username: 'u',
      password: 'pw',
      db: 3,
      connectionName: 'app',
    });
  });

  it('takes the options of a client, connecting eagerly even if the client was lazy', () => {
    const client = new Redis({ host: 'cache', port: 6391, db: 4, lazyConnect: true });
    try {
      const options = redisOptionsOf(client);
      expect(options).toMatchObject({ host: 'cache', port: 6391, db: 4 });
      expect(options.lazyConnect).toBeUndefined();
    } finally {
      client.disconnect();
    }
  });

  it('defaults to BullMQ and ioredis defaults without a connection', () => {
    expect(redisOptionsOf(undefined)).toEqual({});
  });

  it('refuses a cluster client, pointing at redisUrl', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      expect(() => redisOptionsOf(cluster)).toThrow(/Cluster.*redisUrl/);
    } finally {
      cluster.disconnect();
    }
  });
});
