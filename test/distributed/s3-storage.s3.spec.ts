import { Readable } from 'node:stream';
import { S3Storage } from '../../libs/tasks/src/adapters/s3';
import { S3Server } from './harness/s3-server';

/**
 * What `npm test` leaves out for time: listings and deletions of more than
 * one page (1000 keys) on a server. (On s3rver, whose own V2 pagination is
 * broken on Node 17+, the harness pages through its store: see s3rver-backend.)
 */
describe('S3Storage: more than one page of keys', () => {
  const server = new S3Server('stepwise-pages');
  let storage: S3Storage;

  beforeAll(async () => {
    await server.start();
    storage = new S3Storage({ ...server.storageOptions, prefix: 'pages/' });
  });
  afterAll(async () => {
    storage?.destroy();
    await server.stop();
  });

  it('lists 1003 objects across two pages, then deletes them in two DeleteObjects batches', async () => {
    const keys = Array.from({ length: 1003 }, (_, i) => `tasks/t1/input/${String(i).padStart(4, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 25) {
      await Promise.all(keys.slice(i, i + 25).map((k) => storage.put(k, Readable.from([Buffer.from(k)]))));
    }
    await storage.put('tasks/t2/kept.txt', Readable.from([Buffer.from('kept')]));

    const before = server.requests.length;
    const listed: string[] = [];
    for await (const info of storage.list('tasks/t1/')) listed.push(info.key);
    expect(listed).toEqual(keys);
    const listings = server.requests.slice(before).filter((r) => r.method === 'GET' && r.query['list-type'] === '2');
    expect(listings).toHaveLength(2);

    const mark = server.requests.length;
    await storage.deletePrefix('tasks/t1/');
    const batches = server.requests.slice(mark).filter((r) => r.method === 'POST' && 'delete' in r.query);
    expect(batches.map((r) => r.status)).toEqual([200, 200]);
    const left: string[] = [];
    for await (const info of storage.list('')) left.push(info.key);
    expect(left).toEqual(['tasks/t2/kept.txt']);
  }, 120_000);
});
