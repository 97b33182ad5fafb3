import { sanitizeFileName } from '../web/file-name';

/**
 * `attachment` with both an ASCII `filename` (for old clients) and the
 * RFC 5987/6266 `filename*` carrying the real UTF-8 name. The name is
 * sanitised first: it comes from task code and must never break the header.
 */
export function attachmentDisposition(name: string): string {
  const safe = sanitizeFileName(name);
  return `attachment; filename="${asciiFallback(safe)}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}

/** Printable ASCII only; `%` too is replaced, as some clients percent-decode `filename`. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
}

/** `encodeURIComponent` leaves `'()*` alone, which RFC 5987's attr-char does not allow. */
function encodeRfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
