// eslint-disable-next-line no-control-regex -- control characters are precisely what must go
const FORBIDDEN = /[\u0000-\u001f\u007f/\\:*?"<>|]+/g;

/**
 * A name safe as a single path segment on any filesystem and in a ZIP: the
 * last segment of a path (some clients send `C:\Users\me\a.txt`), no
 * control or reserved characters, no leading dots, at most `maxLength`
 * characters (the extension is kept when shortening).
 */
export function sanitizeFileName(raw: string, fallback = 'file', maxLength = 200): string {
  let name = (raw.split(/[/\\]/).pop() ?? '')
    .normalize('NFC')
    .replace(FORBIDDEN, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (name.replace(/_/g, '') === '') name = fallback;
  if (name.length > maxLength) {
    const { base, ext } = splitExtension(name);
    const keep = ext.length < maxLength / 2 ? ext : '';
    name = base.slice(0, maxLength - keep.length) + keep;
  }
  return name;
}

/**
 * Makes names unique (case-insensitively, as most filesystems compare them)
 * by suffixing repeats: `a.txt`, `a (2).txt`, `a (3).txt`.
 */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    const { base, ext } = splitExtension(name);
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${base} (${n})${ext}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  });
}

function splitExtension(name: string): { base: string; ext: string } {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? { base: name.slice(0, dot), ext: name.slice(dot) } : { base: name, ext: '' };
}
