// Counts of the caller's tasks (GET /tasks/stats): on each status chip, the total on "All", and how long
// the oldest pending task has waited. Refreshed on load, on sign-in and, at most once a second, after a
// task changes status (the task list calls scheduleStatsRefresh).
import { TASKS_URL } from './config.js';
import { $, formatDuration } from './dom.js';
import { api } from './http.js';

const REFRESH_MS = 1000;
let timer = null;
let inFlight = false;
let again = false;

function setCount(status, count) {
  const el = document.querySelector('[data-status-count="' + status + '"]');
  if (el) el.textContent = count > 0 ? String(count) : '';
}

function render(stats) {
  setCount('', stats.total);
  document.querySelectorAll('[data-status-count]').forEach((el) => {
    const status = el.getAttribute('data-status-count');
    if (status) setCount(status, stats.byStatus[status] || 0);
  });
  const line = $('stats-line');
  const types = Object.keys(stats.byType).sort();
  const failedTypes = types.filter((type) => stats.byType[type].failed);
  const parts = [];
  if (stats.oldestPendingAgeMs !== null) parts.push('Oldest pending: ' + formatDuration(stats.oldestPendingAgeMs));
  if (failedTypes.length > 0) {
    parts.push('Failed: ' + failedTypes.map((type) => type + ' ' + stats.byType[type].failed).join(', '));
  }
  line.textContent = parts.join(' · ');
}

async function refresh() {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    const result = await api(TASKS_URL + '/stats');
    if (result.body) render(result.body);
  } catch (_error) {
    // The list says when the server cannot be reached; the counts stay as they were.
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      scheduleStatsRefresh();
    }
  }
}

/** Counts again soon: many events in a burst cost one request a second. */
export function scheduleStatsRefresh() {
  if (timer !== null) return;
  timer = setTimeout(() => {
    timer = null;
    refresh();
  }, REFRESH_MS);
}

export function startStats() {
  refresh();
}
