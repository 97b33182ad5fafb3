import { TASK_STATUSES } from '../model';

/** Where the page finds the API, its assets and the Socket.IO endpoint. */
export interface DashboardPageOptions {
  /** Mount prefix of the app (`''`, or `/api` under a global prefix): REST at `{base}/tasks`, assets at `{base}/dashboard.*`. */
  base: string;
  /** Socket.IO (engine.io) path, `realtime.path`; the browser client is served by Socket.IO at `{socketPath}/socket.io.min.js`. */
  socketPath: string;
  /** Socket.IO namespace of the task events. */
  namespace: string;
}

const STATUS_LABELS: Record<string, string> = {
  pending: 'Pending',
  running: 'Running',
  paused: 'Paused',
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

function filterChips(): string {
  const chip = (value: string, label: string, checked = false) =>
    `<label class="chip"><input type="radio" name="status-filter" value="${value}"${checked ? ' checked' : ''}><span>${label}</span></label>`;
  return [chip('', 'All', true), ...TASK_STATUSES.map((s) => chip(s, STATUS_LABELS[s] ?? s))].join('\n          ');
}

/**
 * The dashboard's HTML: no inline script or style (the CSP allows `'self'`
 * only), every dynamic value escaped; task data is filled in by
 * `dashboard.js` with `textContent`, from the `<template>` elements below.
 */
export function renderDashboardPage(options: DashboardPageOptions): string {
  const base = escapeHtml(options.base);
  const socketPath = escapeHtml(options.socketPath);
  const namespace = escapeHtml(options.namespace);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <meta name="referrer" content="no-referrer">
    <title>Stepwise · Tasks</title>
    <link rel="icon" href="${escapeHtml(FAVICON)}">
    <link rel="stylesheet" href="${base}/dashboard.css">
    <script src="${socketPath}/socket.io.min.js" defer></script>
    <script src="${base}/dashboard.js" defer></script>
  </head>
  <body data-base="${base}" data-socket-path="${socketPath}" data-socket-namespace="${namespace}">
    <a class="skip-link" href="#tasks-heading">Skip to the tasks</a>
    <header class="app-header">
      <div class="header-inner">
        <a class="brand" href="${base}/" aria-label="Stepwise dashboard">
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
        <div class="tabs" role="tablist" aria-label="Task to start">
          <button type="button" class="tab" role="tab" id="tab-zip" aria-controls="panel-zip" aria-selected="true">ZIP files</button>
          <button type="button" class="tab" role="tab" id="tab-countdown" aria-controls="panel-countdown" aria-selected="false" tabindex="-1">Countdown</button>
        </div>

        <div class="tab-panel" role="tabpanel" id="panel-zip" aria-labelledby="tab-zip">
          <form id="zip-form" action="${base}/tasks/create-zip" method="post" enctype="multipart/form-data" novalidate>
            <p class="hint">Uploads files and bundles them into one ZIP archive on a worker.</p>
            <label id="zip-dropzone" class="dropzone" for="zip-files">
              <svg class="dropzone-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>
              <span class="dropzone-title">Choose files <span class="muted">or drop them here</span></span>
              <span id="zip-summary" class="dropzone-summary">No file chosen</span>
              <input id="zip-files" class="file-input" type="file" name="files" multiple required aria-describedby="zip-summary">
            </label>
            <ul id="zip-file-list" class="file-list" aria-label="Chosen files" hidden></ul>
            <div class="field">
              <label for="zip-name">Archive name <span class="optional">optional</span></label>
              <input id="zip-name" name="outputName" type="text" placeholder="archive.zip" maxlength="255" autocomplete="off" spellcheck="false">
            </div>
            <div id="zip-upload" class="upload-progress" hidden>
              <div id="zip-upload-bar" class="bar" role="progressbar" aria-label="Upload progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="bar-fill"></div></div>
              <span id="zip-upload-text" class="upload-text">Uploading…</span>
            </div>
            <p class="form-error" role="alert" hidden></p>
            <button type="submit" class="btn btn-primary">Create ZIP</button>
          </form>
        </div>

        <div class="tab-panel" role="tabpanel" id="panel-countdown" aria-labelledby="tab-countdown" hidden>
          <form id="countdown-form" novalidate>
            <p class="hint">Waits a tick, again and again, reporting progress after each one. Cancel it any time.</p>
            <div class="field-row">
              <div class="field">
                <label for="countdown-ticks">Ticks</label>
                <input id="countdown-ticks" name="ticks" type="number" inputmode="numeric" min="1" max="10000" step="1" value="10" required>
              </div>
              <div class="field">
                <label for="countdown-tick-ms">Tick length (ms)</label>
                <input id="countdown-tick-ms" name="tickMs" type="number" inputmode="numeric" min="0" max="60000" step="1" value="1000" required>
              </div>
            </div>
            <p class="form-error" role="alert" hidden></p>
            <button type="submit" class="btn btn-primary">Start countdown</button>
          </form>
        </div>
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
        <p id="list-state" class="list-state">Loading tasks…</p>
        <ul id="task-list" class="task-list" aria-labelledby="tasks-heading"></ul>
        <button type="button" id="load-more" class="btn btn-ghost load-more" hidden>Load more</button>
      </section>
    </main>

    <footer class="app-footer">
      <p>Stepwise · durable background tasks for NestJS · REST at <code>${base}/tasks</code> · live events over Socket.IO <code>${namespace}</code></p>
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
  </body>
</html>
`;
}
