import { TASK_EVENT_TYPES, TASK_STATUSES, isTerminalStatus, type TaskStatus } from '@stepwise/contract';

/** What the page's script reads from its JSON data block: the server's view of the model, never a copy kept in the script. */
export interface DashboardPageData {
  /** Mount prefix of the app (`''`, or `/api` under a global prefix): REST at `{base}/tasks`. */
  base: string;
  /** Socket.IO (engine.io) path, `realtime.path`. */
  socketPath: string;
  /** Socket.IO namespace of the task events. */
  namespace: string;
  /** Every task status, in lifecycle order, with its label. */
  statuses: Array<{ value: TaskStatus; label: string; terminal: boolean }>;
  /** Event names the script listens to (the socket sends the public ones). */
  events: readonly string[];
  /** The registered task types, each with a form. */
  taskTypes: DashboardTaskType[];
}

/** A registered task type, as the page builds its form. */
export interface DashboardTaskType {
  type: string;
  /** Takes multipart file parts named `files`. */
  acceptsFiles: boolean;
  /** JSON Schema of the input, or null when there is none to build fields from (a raw JSON field then). */
  schema: Record<string, unknown> | null;
}

/** Where the page is and where it finds the API, its files and the Socket.IO endpoint. */
export interface DashboardPageOptions {
  /** The page's own URL path, global prefix included (`/`, `/api/dashboard`). */
  pageUrl: string;
  /** URL path of the folder of the current release of the files (`{page}/assets/{version}`). */
  assetBase: string;
  /** Script modules to preload, entry first (the entry is the one loaded). */
  scripts: string[];
  stylesheet: string;
  data: Omit<DashboardPageData, 'statuses' | 'events'>;
}

const STATUS_LABELS: Record<TaskStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  paused: 'Paused',
  waiting: 'Waiting',
  compensating: 'Compensating',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The product mark: a rising staircase. Presentation attributes only (a CSP without `'unsafe-inline'` blocks `style=`). */
const LOGO =
  '<svg class="logo" viewBox="0 0 32 32" width="30" height="30" aria-hidden="true" focusable="false">' +
  '<rect width="32" height="32" rx="8" fill="#4f46e5"/>' +
  '<path d="M8 24h5.5v-5.5H19V13h5.5V8" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>' +
  '</svg>';

const FAVICON = `data:image/svg+xml,${encodeURIComponent(LOGO.replace(' class="logo"', '').replace(' aria-hidden="true" focusable="false"', ' xmlns="http://www.w3.org/2000/svg"'))}`;

/** Escapes text for an HTML attribute value or element content. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block: `<` is escaped, so no
 * value (a schema's description, say) can close the element; U+2028/2029 too,
 * for any reader that would take it for script.
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function filterChips(): string {
  const chip = (value: string, label: string, checked = false) =>
    `<label class="chip"><input type="radio" name="status-filter" value="${value}"${checked ? ' checked' : ''}><span>${label}<small class="chip-count" data-status-count="${value}"></small></span></label>`;
  return [chip('', 'All', true), ...TASK_STATUSES.map((s) => chip(s, STATUS_LABELS[s] ?? s))].join('\n          ');
}

/**
 * The dashboard's HTML: no inline script or style (the CSP allows `'self'`
 * only), every dynamic value escaped; the page's data is a JSON block the
 * script reads; task data is filled in with `textContent`, from the
 * `<template>` elements below, and each task type's form is built from its
 * JSON Schema.
 */
export function renderDashboardPage(options: DashboardPageOptions): string {
  const { data } = options;
  const base = escapeHtml(data.base);
  const assetBase = escapeHtml(options.assetBase);
  const pageData: DashboardPageData = {
    ...data,
    statuses: TASK_STATUSES.map((value) => ({
      value,
      label: STATUS_LABELS[value],
      terminal: isTerminalStatus(value),
    })),
    events: TASK_EVENT_TYPES,
  };
  const [entry, ...imported] = options.scripts;
  const preloads = imported
    .map((name) => `\n    <link rel="modulepreload" href="${assetBase}/${escapeHtml(name)}">`)
    .join('');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <meta name="referrer" content="no-referrer">
    <title>Stepwise · Tasks</title>
    <link rel="icon" href="${escapeHtml(FAVICON)}">
    <link rel="stylesheet" href="${assetBase}/${escapeHtml(options.stylesheet)}">
    <script type="application/json" id="dashboard-data">${jsonForHtml(pageData)}</script>
    <script src="${escapeHtml(data.socketPath)}/socket.io.min.js" defer></script>
    <script type="module" src="${assetBase}/${escapeHtml(entry)}"></script>${preloads}
  </head>
  <body>
    <a class="skip-link" href="#tasks-heading">Skip to the tasks</a>
    <header class="app-header">
      <div class="header-inner">
        <a class="brand" href="${escapeHtml(options.pageUrl)}" aria-label="Stepwise dashboard">
          ${LOGO}
          <span class="brand-name">Stepwise</span>
          <span class="brand-divider" aria-hidden="true"></span>
          <span class="brand-tag">Task dashboard</span>
        </a>
        <p id="connection" class="connection" data-state="connecting" role="status">
          <span class="connection-dot" aria-hidden="true"></span>
          <span data-part="label">Connecting…</span>
        </p>
      </div>
    </header>

    <main class="layout">
      <section class="panel submit-panel" aria-labelledby="submit-heading">
        <div class="panel-head">
          <h2 id="submit-heading">New task</h2>
        </div>
        <div class="tabs" role="tablist" aria-label="Task to start" id="task-tabs"></div>
        <div id="task-forms"></div>
        <p id="no-task-types" class="hint" hidden>No task type is registered.</p>
      </section>

      <section class="panel tasks-panel" aria-labelledby="tasks-heading">
        <div class="panel-head">
          <h2 id="tasks-heading" tabindex="-1">Tasks</h2>
          <span id="task-count" class="count" aria-live="polite"></span>
          <button type="button" id="refresh" class="btn btn-ghost btn-small">
            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"><path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>
            Refresh
          </button>
        </div>
        <fieldset class="filters">
          <legend class="visually-hidden">Filter by status</legend>
          ${filterChips()}
        </fieldset>
        <p id="stats-line" class="stats-line" aria-live="polite"></p>
        <p id="list-state" class="list-state">Loading tasks…</p>
        <ul id="task-list" class="task-list" aria-labelledby="tasks-heading"></ul>
        <button type="button" id="load-more" class="btn btn-ghost load-more" hidden>Load more</button>
      </section>
    </main>

    <footer class="app-footer">
      <p>Stepwise · durable background tasks for NestJS · REST at <code>${base}/tasks</code> · live events over Socket.IO <code>${escapeHtml(data.namespace)}</code></p>
    </footer>

    <div id="toasts" class="toasts" aria-live="polite"></div>

    <template id="task-template">
      <li class="task" data-status="pending">
        <div class="task-main">
          <div class="task-title">
            <button type="button" class="task-toggle" data-part="toggle" aria-expanded="false">
              <svg class="chevron" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false"><path d="m6 3.5 4.5 4.5L6 12.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>
              <span class="task-type" data-part="type"></span>
              <code class="task-id" data-part="id"></code>
            </button>
            <span class="badge" data-part="status"></span>
          </div>
          <div class="task-actions">
            <a class="btn btn-small btn-success" data-part="download" download hidden>
              <svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false"><path d="M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>
              Download
            </a>
            <button type="button" class="btn btn-small btn-secondary" data-part="cancel">Cancel</button>
            <button type="button" class="btn btn-small btn-danger" data-part="delete">Delete</button>
          </div>
          <div class="task-progress">
            <div class="bar" role="progressbar" data-part="bar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="bar-fill" data-part="fill"></div></div>
            <span class="percent" data-part="percent">0%</span>
          </div>
          <p class="task-message" data-part="message"></p>
          <time class="task-time" data-part="time"></time>
        </div>
        <div class="task-details" data-part="details" hidden>
          <h4 class="details-heading">Steps</h4>
          <ol class="timeline" data-part="timeline"></ol>
          <div class="task-children" data-part="children" hidden></div>
          <p class="task-error" data-part="error" hidden></p>
          <div class="task-result" data-part="result" hidden></div>
        </div>
      </li>
    </template>

    <template id="step-template">
      <li class="step" data-status="pending">
        <span class="step-marker" aria-hidden="true"></span>
        <div class="step-body">
          <div class="step-head">
            <span class="step-name" data-part="name"></span>
            <span class="tag" data-part="placement"></span>
            <span class="step-status" data-part="status"></span>
          </div>
          <p class="step-meta" data-part="meta"></p>
          <p class="step-error" data-part="error" hidden></p>
        </div>
      </li>
    </template>

    <template id="file-field-template">
      <div class="file-field field-wide">
        <label class="dropzone" data-part="dropzone">
          <svg class="dropzone-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>
          <span class="dropzone-title"><span data-part="choose">Choose files</span> <span class="muted">or drop them here</span></span>
          <span class="dropzone-summary" data-part="summary">No file chosen</span>
          <input class="file-input" type="file" name="files" data-part="input">
        </label>
        <ul class="file-list" aria-label="Chosen files" data-part="list" hidden></ul>
        <div class="upload-progress" data-part="upload" hidden>
          <div class="bar" role="progressbar" aria-label="Upload progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0" data-part="upload-bar"><div class="bar-fill"></div></div>
          <span class="upload-text" data-part="upload-text">Uploading…</span>
        </div>
      </div>
    </template>
  </body>
</html>
`;
}
