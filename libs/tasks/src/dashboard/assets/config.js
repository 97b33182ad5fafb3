// The page's data, written by the server into a JSON block (the CSP runs no inline script):
// where the API is, and the model's statuses and event names, so that none is copied here.

function readData() {
  const block = document.getElementById('dashboard-data');
  if (!block) throw new Error('dashboard: missing #dashboard-data');
  return JSON.parse(block.textContent || '{}');
}

export const data = readData();

/** The REST API of tasks. */
export const TASKS_URL = data.base + '/tasks';

/** Labels of the statuses, by value. */
export const STATUS_LABELS = Object.fromEntries(data.statuses.map((status) => [status.value, status.label]));

const TERMINAL = new Set(data.statuses.filter((status) => status.terminal).map((status) => status.value));

export function isTerminal(status) {
  return TERMINAL.has(status);
}
