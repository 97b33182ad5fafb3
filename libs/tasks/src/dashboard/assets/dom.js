// Small DOM and formatting helpers. Task data only ever reaches the DOM through textContent.

export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error('dashboard: missing #' + id);
  return node;
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function part(root, name) {
  return root.querySelector('[data-part="' + name + '"]');
}

export function shortId(id) {
  return String(id).slice(0, 8);
}

export function clampProgress(value) {
  const n = Number(value);
  if (!isFinite(n)) return 0;
  return Math.min(1, Math.max(0, n));
}

/** A same-origin path from the server, never a javascript: or protocol-relative URL. */
export function safePath(path) {
  return typeof path === 'string' && path.charAt(0) === '/' && path.charAt(1) !== '/' ? path : null;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatTime(iso) {
  const date = new Date(iso);
  if (isNaN(date.getTime())) return '';
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

export function formatDuration(ms) {
  if (!(ms >= 0)) return '';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
  const minutes = Math.floor(ms / 60000);
  const seconds = Math.round((ms % 60000) / 1000);
  return minutes + ' min ' + seconds + ' s';
}

export function formatBytes(bytes) {
  let n = Number(bytes);
  if (!isFinite(n) || n < 0) return '';
  if (n < 1024) return n + ' B';
  const units = ['KB', 'MB', 'GB', 'TB'];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
}
