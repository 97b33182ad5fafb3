import { sanitizeFileName, uniqueNames } from './file-names';

describe('sanitizeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['C:\\Users\\me\\a.txt', 'a.txt'],
    ['../../etc/passwd', 'passwd'],
    ['..', 'file'],
    ['', 'file'],
    ['dir/', 'file'],
    ['.hidden', 'hidden'],
    ['a\u0000b\nc.txt', 'a_b_c.txt'],
    ['what?*<>|.txt', 'what_.txt'],
    ['  spaced   out  .txt ', 'spaced out .txt'],
    ['trailing.', 'trailing'],
    ['Ünïcödé ✓.txt', 'Ünïcödé ✓.txt'],
  ])('%j -> %j', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it('shortens long names and keeps the extension', () => {
    const name = sanitizeFileName('x'.repeat(500) + '.csv');
    expect(name).toHaveLength(200);
    expect(name.endsWith('.csv')).toBe(true);
  });
});

describe('uniqueNames', () => {
  it('suffixes repeats, case-insensitively, never colliding with an existing name', () => {
    expect(uniqueNames(['a.txt', 'A.txt', 'a (2).txt', 'a.txt', 'b', 'b'])).toEqual([
      'a.txt',
      'A (2).txt',
      'a (2) (2).txt',
      'a (3).txt',
      'b',
      'b (2)',
    ]);
  });
});
