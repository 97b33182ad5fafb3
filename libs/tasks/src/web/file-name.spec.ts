import { MAX_FILE_NAME_BYTES, sanitizeFileName } from './file-name';

describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\win.ini', 'win.ini'],
    ['C:\\Users\\me\\report.pdf', 'report.pdf'],
    ['/abs/path/to/a.txt', 'a.txt'],
    ['dir/', 'file'],
    ['..', 'file'],
    ['...', 'file'],
    ['a..b.txt', 'a.b.txt'],
    ['.env', 'env'],
    ['...hidden.txt', 'hidden.txt'],
    ['  spaced name.txt  ', 'spaced name.txt'],
    ['trailing.dots...', 'trailing.dots'],
    ['bad<>:"|?*chars.txt', 'badchars.txt'],
    ['ctrl\u0000\u0007\u001f\u007f\u0085\u009fchars.txt', 'ctrlchars.txt'],
    ['line\r\nbreak.txt', 'linebreak.txt'],
    ['evil\u202etxt.exe', 'eviltxt.exe'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['', 'file'],
    ['   ', 'file'],
    ['<>?', 'file'],
  ])('%j becomes %j', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it('keeps letters of any script', () => {
    expect(sanitizeFileName('résumé 2024.pdf')).toBe('résumé 2024.pdf');
    expect(sanitizeFileName('日本語.txt')).toBe('日本語.txt');
    expect(sanitizeFileName('Ελληνικά — notes.md')).toBe('Ελληνικά — notes.md');
  });

  it('normalises decomposed accents to NFC', () => {
    expect(sanitizeFileName('re\u0301sume\u0301.pdf')).toBe('résumé.pdf');
  });

  it('caps the length in UTF-8 bytes and keeps the extension', () => {
    const long = `${'a'.repeat(300)}.pdf`;
    const cut = sanitizeFileName(long);
    expect(Buffer.byteLength(cut)).toBe(MAX_FILE_NAME_BYTES);
    expect(cut.endsWith('.pdf')).toBe(true);

    // Three bytes per character: the cut falls on a character boundary, never inside one.
    const wide = sanitizeFileName(`${'語'.repeat(100)}.txt`);
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(wide).toBe(`${'語'.repeat(65)}.txt`);
    expect(wide).not.toContain('\ufffd');

    // Four-byte characters (surrogate pairs in JS) are not split either.
    const emoji = sanitizeFileName('😀'.repeat(80));
    expect(Buffer.byteLength(emoji)).toBe(MAX_FILE_NAME_BYTES);
    expect([...emoji].every((c) => c === '😀')).toBe(true);
  });

  it('never yields a separator, a dot-dot or a control character', () => {
    const nasty = ['../', '..\\', '\u0000', '%2e%2e/', 'a/../../b', '....//', '\\\\server\\share\\x'];
    for (const raw of nasty) {
      const name = sanitizeFileName(raw);
      expect(name).not.toMatch(/[/\\]|\.\.|\p{Cc}/u);
      expect(name.length).toBeGreaterThan(0);
    }
  });
});
