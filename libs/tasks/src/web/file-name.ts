/** Longest sanitised name, in UTF-8 bytes: leaves room in storage keys (S3 allows 1024). */
export const MAX_FILE_NAME_BYTES = 200;

/** C0, DEL, C1, and the invisible characters that can disguise a name (bidi overrides, line separators). */
const INVISIBLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/gu;
/** Characters that Windows refuses and shells treat specially. */
const RESERVED = /[<>:"|?*]/g;
/** Device names Windows maps to hardware whatever the extension. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
/** An extension worth keeping when the name is cut: short, no spaces. */
const EXTENSION = /\.[^.\s]{1,16}$/u;

/**
 * Turns a client-supplied file name into one that is safe as the last segment
 * of a storage key and in a `Content-Disposition` header: no directories, no
 * `..`, no control or reserved characters, no leading dots, at most
 * {@link MAX_FILE_NAME_BYTES} bytes of UTF-8 (the extension is kept when the
 * name is cut). Letters of any script survive. Never returns an empty string:
 * a name with nothing left becomes `file`.
 *
 * @example sanitizeFileName('../../etc/passwd') === 'passwd'
 * @example sanitizeFileName('résumé 2024.pdf') === 'résumé 2024.pdf'
 */
export function sanitizeFileName(raw: string): string {
  let name = String(raw).normalize('NFC').replace(INVISIBLE, '');
  // Both separators: a Windows client sends `C:\Users\me\a.txt`.
  name = name.split(/[/\\]/).pop() ?? '';
  name = name
    .replace(RESERVED, '')
    // A run of dots collapses to one, so `..` can never survive.
    .replace(/\.{2,}/g, '.')
    .trim()
    .replace(/^[.\s]+/, '')
    // Windows drops trailing dots and spaces, which would rename the file.
    .replace(/[.\s]+$/, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  name = truncateUtf8(name, MAX_FILE_NAME_BYTES);
  return name === '' ? 'file' : name;
}

/** Cuts on code point boundaries, keeping a short extension whole. */
function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const extension = EXTENSION.exec(name)?.[0] ?? '';
  const budget = maxBytes - Buffer.byteLength(extension);
  let base = '';
  let used = 0;
  for (const char of name.slice(0, name.length - extension.length)) {
    const size = Buffer.byteLength(char);
    if (used + size > budget) break;
    base += char;
    used += size;
  }
  return base.replace(/[.\s]+$/, '') + extension;
}
