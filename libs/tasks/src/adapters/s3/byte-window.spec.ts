import { Readable } from 'node:stream';
import { readAll } from '../testing/storage-contract';
import { fitToRange } from './byte-window';

const DATA = Buffer.from('0123456789abcdefghij');
/** The body a server sends, in small chunks, and whether it was let go of. */
const served = (data: Buffer) => Readable.from([data.subarray(0, 7), data.subarray(7, 13), data.subarray(13)]);

describe('fitToRange', () => {
  it('returns the body itself when the server sent exactly the range', () => {
    const body = served(DATA.subarray(2, 6));
    expect(fitToRange(body, { start: 2, end: 5 }, 'bytes 2-5/20')).toBe(body);
  });

  it('cuts the range out of a whole object sent with 200 (a server may ignore Range)', async () => {
    expect((await readAll(fitToRange(served(DATA), { start: 8, end: 14 }, undefined))).toString()).toBe('89abcde');
  });

  it('trims a wider range than asked for (s3rver answers bytes=0-0 with the whole object)', async () => {
    const body = served(DATA);
    const fitted = fitToRange(body, { start: 0, end: 0 }, 'bytes 0-19/20');
    expect((await readAll(fitted)).toString()).toBe('0');
    // The rest is not downloaded for nothing.
    await new Promise((r) => setImmediate(r));
    expect(body.destroyed).toBe(true);
  });

  it('refuses a body that starts after the range', () => {
    const body = served(DATA.subarray(5));
    expect(() => fitToRange(body, { start: 2, end: 9 }, 'bytes 5-19/20')).toThrow(/answered bytes 5-19/);
    expect(body.destroyed).toBe(true);
  });
});
