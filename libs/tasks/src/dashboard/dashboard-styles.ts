/** The dashboard's stylesheet, served as `GET /dashboard.css` (the CSP forbids inline styles). Light and dark themes. */
export const DASHBOARD_STYLES = String.raw`
:root {
  --bg: #f5f6fa;
  --surface: #ffffff;
  --surface-2: #f8f9fc;
  --border: #e3e6ee;
  --border-strong: #cfd4e0;
  --text: #101828;
  --text-2: #344054;
  --muted: #667085;
  --accent: #4f46e5;
  --accent-hover: #4338ca;
  --accent-soft: #eef2ff;
  --focus: #6366f1;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.05), 0 1px 3px rgba(16, 24, 40, 0.06);
  --shadow-lg: 0 12px 24px -6px rgba(16, 24, 40, 0.14), 0 4px 8px -4px rgba(16, 24, 40, 0.06);
  --radius: 12px;
  --radius-sm: 8px;

  --pending: #64748b;
  --pending-soft: #f1f5f9;
  --running: #2563eb;
  --running-soft: #eff6ff;
  --paused: #b45309;
  --paused-soft: #fffbeb;
  --compensating: #9333ea;
  --compensating-soft: #faf5ff;
  --completed: #15803d;
  --completed-soft: #f0fdf4;
  --failed: #dc2626;
  --failed-soft: #fef2f2;
  --cancelled: #6b7280;
  --cancelled-soft: #f3f4f6;

  color-scheme: light;
  font-family:
    Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans',
    sans-serif;
  font-size: 15px;
  line-height: 1.5;
  color: var(--text);
  background: var(--bg);
  -webkit-font-smoothing: antialiased;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b0f19;
    --surface: #111827;
    --surface-2: #0f1522;
    --border: #1f2937;
    --border-strong: #374151;
    --text: #f3f4f6;
    --text-2: #d1d5db;
    --muted: #9ca3af;
    --accent: #818cf8;
    --accent-hover: #a5b4fc;
    --accent-soft: rgba(129, 140, 248, 0.12);
    --focus: #a5b4fc;
    --shadow: 0 1px 2px rgba(0, 0, 0, 0.4);
    --shadow-lg: 0 12px 24px -6px rgba(0, 0, 0, 0.6);
    --pending: #94a3b8;
    --pending-soft: rgba(148, 163, 184, 0.12);
    --running: #60a5fa;
    --running-soft: rgba(96, 165, 250, 0.12);
    --paused: #fbbf24;
    --paused-soft: rgba(251, 191, 36, 0.12);
    --compensating: #c084fc;
    --compensating-soft: rgba(192, 132, 252, 0.12);
    --completed: #4ade80;
    --completed-soft: rgba(74, 222, 128, 0.12);
    --failed: #f87171;
    --failed-soft: rgba(248, 113, 113, 0.12);
    --cancelled: #9ca3af;
    --cancelled-soft: rgba(156, 163, 175, 0.12);
    color-scheme: dark;
  }
}

*,
*::before,
*::after {
  box-sizing: border-box;
}

body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
}

[hidden] {
  display: none !important;
}

h2,
h3,
h4,
p {
  margin: 0;
}

code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
  font-size: 0.86em;
}

a {
  color: var(--accent);
}

:focus-visible {
  outline: 2px solid var(--focus);
  outline-offset: 2px;
}

.visually-hidden {
  position: absolute !important;
  width: 1px;
  height: 1px;
  padding: 0;
  margin: -1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}

.muted {
  color: var(--muted);
}

.skip-link {
  position: absolute;
  left: 12px;
  top: -48px;
  z-index: 10;
  padding: 8px 14px;
  border-radius: var(--radius-sm);
  background: var(--accent);
  color: #fff;
  font-weight: 600;
  text-decoration: none;
}

.skip-link:focus {
  top: 12px;
}

/* ------------------------------------------------------------ header */

.app-header {
  background: var(--surface);
  border-bottom: 1px solid var(--border);
  position: sticky;
  top: 0;
  z-index: 5;
}

.header-inner {
  max-width: 1240px;
  margin: 0 auto;
  padding: 12px 24px;
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 16px;
}

.brand {
  display: flex;
  align-items: center;
  gap: 10px;
  color: var(--text);
  text-decoration: none;
  min-width: 0;
}

.logo {
  flex: none;
  display: block;
}

.brand-name {
  font-size: 1.15rem;
  font-weight: 700;
  letter-spacing: -0.01em;
}

.brand-divider {
  width: 1px;
  height: 18px;
  background: var(--border-strong);
}

.brand-tag {
  color: var(--muted);
  font-weight: 500;
  white-space: nowrap;
}

.connection {
  display: inline-flex;
  align-items: center;
  gap: 8px;
  padding: 4px 12px;
  border-radius: 999px;
  border: 1px solid var(--border);
  background: var(--surface-2);
  color: var(--text-2);
  font-size: 0.85rem;
  font-weight: 500;
  white-space: nowrap;
}

.connection-dot {
  width: 8px;
  height: 8px;
  border-radius: 50%;
  background: var(--pending);
}

.connection[data-state='live'] .connection-dot {
  background: var(--completed);
  box-shadow: 0 0 0 3px var(--completed-soft);
}

.connection[data-state='reconnecting'] .connection-dot {
  background: var(--paused);
  animation: blink 1.2s ease-in-out infinite;
}

.connection[data-state='offline'] .connection-dot {
  background: var(--failed);
}

@keyframes blink {
  50% {
    opacity: 0.3;
  }
}

/* ------------------------------------------------------------ layout */

.layout {
  flex: 1;
  width: 100%;
  max-width: 1240px;
  margin: 0 auto;
  padding: 24px;
  display: grid;
  grid-template-columns: minmax(300px, 370px) minmax(0, 1fr);
  gap: 24px;
  align-items: start;
}

.panel {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 20px;
  min-width: 0;
}

.submit-panel {
  position: sticky;
  top: 72px;
}

.panel-head {
  display: flex;
  align-items: center;
  gap: 10px;
  margin-bottom: 16px;
}

.panel-head h2 {
  font-size: 1.05rem;
  font-weight: 650;
  letter-spacing: -0.01em;
}

.panel-head h2:focus {
  outline: none;
}

.count {
  color: var(--muted);
  font-size: 0.85rem;
  font-weight: 500;
  padding: 1px 8px;
  border-radius: 999px;
  background: var(--surface-2);
  border: 1px solid var(--border);
}

.count:empty {
  display: none;
}

.panel-head .btn {
  margin-left: auto;
}

.app-footer {
  max-width: 1240px;
  width: 100%;
  margin: 0 auto;
  padding: 4px 24px 28px;
  color: var(--muted);
  font-size: 0.82rem;
}

/* ------------------------------------------------------------ buttons */

.btn {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  gap: 6px;
  min-height: 38px;
  padding: 8px 16px;
  border-radius: var(--radius-sm);
  border: 1px solid transparent;
  font: inherit;
  font-weight: 600;
  font-size: 0.92rem;
  line-height: 1.2;
  cursor: pointer;
  text-decoration: none;
  white-space: nowrap;
  transition:
    background-color 0.15s,
    border-color 0.15s,
    color 0.15s,
    box-shadow 0.15s;
}

.btn:disabled {
  opacity: 0.55;
  cursor: not-allowed;
}

.btn-primary {
  width: 100%;
  background: var(--accent);
  color: #fff;
  box-shadow: var(--shadow);
}

.btn-primary:hover:not(:disabled) {
  background: var(--accent-hover);
}

@media (prefers-color-scheme: dark) {
  .btn-primary {
    color: #0b0f19;
  }
}

.btn-ghost,
.btn-secondary {
  background: var(--surface);
  color: var(--text-2);
  border-color: var(--border-strong);
}

.btn-ghost:hover:not(:disabled),
.btn-secondary:hover:not(:disabled) {
  background: var(--surface-2);
  color: var(--text);
}

.btn-danger {
  background: var(--surface);
  color: var(--failed);
  border-color: var(--border-strong);
}

.btn-danger:hover:not(:disabled) {
  background: var(--failed-soft);
  border-color: var(--failed);
}

.btn-success {
  background: var(--completed);
  color: #fff;
}

.btn-success:hover {
  filter: brightness(0.95);
}

@media (prefers-color-scheme: dark) {
  .btn-success {
    color: #0b0f19;
  }
}

.btn-small {
  min-height: 32px;
  padding: 5px 12px;
  font-size: 0.85rem;
}

/* ------------------------------------------------------------ tabs and forms */

.tabs {
  display: grid;
  grid-template-columns: 1fr 1fr;
  gap: 4px;
  padding: 4px;
  margin-bottom: 18px;
  border-radius: 10px;
  background: var(--surface-2);
  border: 1px solid var(--border);
}

.tab {
  padding: 7px 10px;
  border: 0;
  border-radius: 7px;
  background: transparent;
  color: var(--muted);
  font: inherit;
  font-weight: 600;
  font-size: 0.9rem;
  cursor: pointer;
}

.tab:hover {
  color: var(--text);
}

.tab[aria-selected='true'] {
  background: var(--surface);
  color: var(--text);
  box-shadow: var(--shadow);
}

form {
  display: flex;
  flex-direction: column;
  gap: 16px;
}

.hint {
  color: var(--muted);
  font-size: 0.88rem;
}

.field {
  display: flex;
  flex-direction: column;
  gap: 6px;
  min-width: 0;
}

.field-row {
  display: grid;
  grid-template-columns: 1fr 1fr;
  gap: 12px;
}

label {
  font-size: 0.88rem;
  font-weight: 600;
  color: var(--text-2);
}

.optional {
  font-weight: 400;
  color: var(--muted);
}

input[type='text'],
input[type='number'] {
  width: 100%;
  min-height: 40px;
  padding: 8px 12px;
  border: 1px solid var(--border-strong);
  border-radius: var(--radius-sm);
  background: var(--surface);
  color: var(--text);
  font: inherit;
  font-size: 0.95rem;
  transition:
    border-color 0.15s,
    box-shadow 0.15s;
}

input[type='text']:focus,
input[type='number']:focus {
  outline: none;
  border-color: var(--focus);
  box-shadow: 0 0 0 3px var(--accent-soft);
}

input::placeholder {
  color: var(--muted);
  opacity: 0.8;
}

.dropzone {
  position: relative;
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 4px;
  padding: 22px 16px;
  border: 1.5px dashed var(--border-strong);
  border-radius: var(--radius);
  background: var(--surface-2);
  text-align: center;
  cursor: pointer;
  transition:
    border-color 0.15s,
    background-color 0.15s;
}

.dropzone:hover,
.dropzone.is-dragging {
  border-color: var(--accent);
  background: var(--accent-soft);
}

.dropzone:focus-within {
  border-color: var(--focus);
  box-shadow: 0 0 0 3px var(--accent-soft);
}

.dropzone.has-files {
  border-style: solid;
}

.dropzone-icon {
  color: var(--accent);
  margin-bottom: 4px;
}

.dropzone-title {
  font-weight: 600;
  color: var(--text);
}

.dropzone-title .muted {
  font-weight: 400;
}

.dropzone-summary {
  font-size: 0.82rem;
  font-weight: 500;
  color: var(--muted);
}

/* Invisible but focusable and operable: the label is the visible control. */
.file-input {
  position: absolute;
  inset: 0;
  width: 100%;
  height: 100%;
  opacity: 0;
  cursor: pointer;
}

.file-list {
  list-style: none;
  margin: -6px 0 0;
  padding: 4px 0;
  max-height: 160px;
  overflow: auto;
  border: 1px solid var(--border);
  border-radius: var(--radius-sm);
  font-size: 0.85rem;
}

.file-list li {
  display: flex;
  justify-content: space-between;
  gap: 12px;
  padding: 4px 12px;
}

.file-name {
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  min-width: 0;
}

.file-size {
  flex: none;
  color: var(--muted);
  font-variant-numeric: tabular-nums;
}

.upload-progress {
  display: flex;
  align-items: center;
  gap: 12px;
}

.upload-progress .bar {
  flex: 1;
}

.upload-text {
  font-size: 0.82rem;
  color: var(--muted);
  white-space: nowrap;
  font-variant-numeric: tabular-nums;
}

.form-error {
  padding: 10px 12px;
  border-radius: var(--radius-sm);
  background: var(--failed-soft);
  color: var(--failed);
  font-size: 0.88rem;
  font-weight: 500;
}

/* ------------------------------------------------------------ filters */

.filters {
  display: flex;
  flex-wrap: wrap;
  gap: 6px;
  margin: 0 0 16px;
  padding: 0;
  border: 0;
}

.chip {
  position: relative;
  display: inline-flex;
}

.chip input {
  position: absolute;
  inset: 0;
  opacity: 0;
  margin: 0;
  cursor: pointer;
}

.chip span {
  padding: 4px 12px;
  border-radius: 999px;
  border: 1px solid var(--border);
  background: var(--surface);
  color: var(--text-2);
  font-size: 0.84rem;
  font-weight: 500;
  transition:
    background-color 0.15s,
    border-color 0.15s,
    color 0.15s;
}

.chip:hover span {
  border-color: var(--border-strong);
  background: var(--surface-2);
}

.chip input:checked + span {
  background: var(--text);
  border-color: var(--text);
  color: var(--surface);
}

.chip input:focus-visible + span {
  outline: 2px solid var(--focus);
  outline-offset: 2px;
}

/* ------------------------------------------------------------ task list */

.list-state {
  padding: 40px 16px;
  text-align: center;
  color: var(--muted);
  border: 1px dashed var(--border-strong);
  border-radius: var(--radius);
}

.task-list {
  list-style: none;
  margin: 0;
  padding: 0;
  display: flex;
  flex-direction: column;
  gap: 10px;
}

.task {
  --status: var(--pending);
  --status-soft: var(--pending-soft);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  background: var(--surface);
  transition:
    border-color 0.2s,
    box-shadow 0.2s;
  overflow: hidden;
}

.task:hover {
  border-color: var(--border-strong);
}

.task.is-expanded {
  box-shadow: var(--shadow-lg);
  border-color: var(--border-strong);
}

.task.is-new {
  animation: arrive 1.6s ease-out;
}

@keyframes arrive {
  0% {
    box-shadow: 0 0 0 3px var(--accent-soft);
    border-color: var(--accent);
  }
  100% {
    box-shadow: none;
  }
}

.task[data-status='running'],
.badge[data-status='running'],
.step[data-status='running'] {
  --status: var(--running);
  --status-soft: var(--running-soft);
}

.task[data-status='paused'],
.badge[data-status='paused'] {
  --status: var(--paused);
  --status-soft: var(--paused-soft);
}

.task[data-status='compensating'],
.badge[data-status='compensating'],
.step[data-status='compensating'],
.step[data-status='compensated'] {
  --status: var(--compensating);
  --status-soft: var(--compensating-soft);
}

.task[data-status='completed'],
.badge[data-status='completed'],
.step[data-status='completed'] {
  --status: var(--completed);
  --status-soft: var(--completed-soft);
}

.task[data-status='failed'],
.badge[data-status='failed'],
.step[data-status='failed'] {
  --status: var(--failed);
  --status-soft: var(--failed-soft);
}

.task[data-status='cancelled'],
.badge[data-status='cancelled'],
.step[data-status='skipped'] {
  --status: var(--cancelled);
  --status-soft: var(--cancelled-soft);
}

.task-main {
  display: grid;
  grid-template-columns: minmax(0, 1fr) auto;
  grid-template-areas:
    'title actions'
    'progress progress'
    'message time';
  align-items: center;
  gap: 10px 16px;
  padding: 14px 16px;
}

.task-title {
  grid-area: title;
  display: flex;
  align-items: center;
  gap: 10px;
  min-width: 0;
}

.task-toggle {
  display: flex;
  align-items: center;
  gap: 8px;
  min-width: 0;
  padding: 4px 6px;
  margin: -4px -6px;
  border: 0;
  border-radius: 6px;
  background: transparent;
  color: var(--text);
  font: inherit;
  text-align: left;
  cursor: pointer;
}

.task-toggle:hover {
  background: var(--surface-2);
}

.chevron {
  flex: none;
  color: var(--muted);
  transition: transform 0.2s;
}

.task-toggle[aria-expanded='true'] .chevron {
  transform: rotate(90deg);
}

.task-type {
  flex: none;
  max-width: 100%;
  font-weight: 650;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.task-id {
  flex: 0 1 auto;
  min-width: 0;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  color: var(--muted);
  padding: 1px 6px;
  border-radius: 5px;
  background: var(--surface-2);
  border: 1px solid var(--border);
}

.badge {
  flex: none;
  --status: var(--pending);
  --status-soft: var(--pending-soft);
  display: inline-flex;
  align-items: center;
  gap: 6px;
  padding: 2px 10px 2px 8px;
  border-radius: 999px;
  background: var(--status-soft);
  color: var(--status);
  font-size: 0.8rem;
  font-weight: 600;
  white-space: nowrap;
}

.badge::before {
  content: '';
  width: 6px;
  height: 6px;
  border-radius: 50%;
  background: currentColor;
}

.badge[data-status='running']::before {
  animation: blink 1.2s ease-in-out infinite;
}

.task-actions {
  grid-area: actions;
  display: flex;
  gap: 6px;
  justify-content: flex-end;
}

.task-progress {
  grid-area: progress;
  display: flex;
  align-items: center;
  gap: 12px;
}

.bar {
  position: relative;
  flex: 1;
  height: 8px;
  border-radius: 999px;
  background: var(--surface-2);
  box-shadow: inset 0 0 0 1px var(--border);
  overflow: hidden;
}

.bar-fill {
  width: 0;
  height: 100%;
  border-radius: inherit;
  background: var(--status, var(--accent));
  transition: width 0.3s ease-out;
}

.task[data-status='failed'] .bar {
  background: var(--failed-soft);
}

.upload-progress .bar-fill {
  background: var(--accent);
}

.task[data-status='running'] .bar-fill {
  background-color: var(--running);
  background-image: linear-gradient(
    45deg,
    rgba(255, 255, 255, 0.22) 25%,
    transparent 25%,
    transparent 50%,
    rgba(255, 255, 255, 0.22) 50%,
    rgba(255, 255, 255, 0.22) 75%,
    transparent 75%,
    transparent
  );
  background-size: 16px 16px;
  animation: stripes 0.8s linear infinite;
}

@keyframes stripes {
  to {
    background-position: 16px 0;
  }
}

.percent {
  width: 3.2em;
  text-align: right;
  font-size: 0.85rem;
  font-weight: 600;
  color: var(--text-2);
  font-variant-numeric: tabular-nums;
}

.task-message {
  grid-area: message;
  min-width: 0;
  color: var(--muted);
  font-size: 0.86rem;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.task-message:empty::before {
  content: '\00a0';
}

.task[data-status='failed'] .task-message {
  color: var(--failed);
  white-space: normal;
  overflow-wrap: anywhere;
}

.task-time {
  grid-area: time;
  justify-self: end;
  color: var(--muted);
  font-size: 0.82rem;
  white-space: nowrap;
  font-variant-numeric: tabular-nums;
}

.load-more {
  width: 100%;
  margin-top: 12px;
}

/* ------------------------------------------------------------ step timeline */

.task-details {
  padding: 14px 16px 16px;
  border-top: 1px solid var(--border);
  background: var(--surface-2);
  display: flex;
  flex-direction: column;
  gap: 12px;
}

.details-heading {
  font-size: 0.75rem;
  font-weight: 700;
  letter-spacing: 0.06em;
  text-transform: uppercase;
  color: var(--muted);
}

.timeline {
  list-style: none;
  margin: 0;
  padding: 0;
}

.timeline-empty {
  color: var(--muted);
  font-size: 0.86rem;
}

.step {
  --status: var(--pending);
  --status-soft: var(--pending-soft);
  position: relative;
  display: grid;
  grid-template-columns: 20px minmax(0, 1fr);
  gap: 10px;
  padding-bottom: 14px;
}

.step:last-child {
  padding-bottom: 0;
}

.step::before {
  content: '';
  position: absolute;
  left: 9px;
  top: 20px;
  bottom: 0;
  width: 2px;
  background: var(--border-strong);
}

.step:last-child::before {
  display: none;
}

.step-marker {
  width: 20px;
  height: 20px;
  border-radius: 50%;
  border: 2px solid var(--status);
  background: var(--surface);
  margin-top: 1px;
  position: relative;
  z-index: 1;
}

.step[data-status='completed'] .step-marker,
.step[data-status='failed'] .step-marker,
.step[data-status='compensated'] .step-marker {
  background: var(--status);
  box-shadow: inset 0 0 0 3px var(--surface);
}

.step[data-status='running'] .step-marker {
  box-shadow: 0 0 0 4px var(--status-soft);
}

.step-head {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px 8px;
}

.step-name {
  font-weight: 600;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
  font-size: 0.88rem;
}

.tag {
  padding: 0 7px;
  border-radius: 5px;
  border: 1px solid var(--border-strong);
  color: var(--text-2);
  font-size: 0.72rem;
  font-weight: 600;
  letter-spacing: 0.04em;
  text-transform: uppercase;
}

.step-status {
  color: var(--status);
  font-size: 0.82rem;
  font-weight: 600;
}

.step-meta {
  color: var(--muted);
  font-size: 0.82rem;
  font-variant-numeric: tabular-nums;
}

.step-error,
.task-error {
  color: var(--failed);
  font-size: 0.85rem;
  overflow-wrap: anywhere;
}

.task-error {
  padding: 8px 12px;
  border-radius: var(--radius-sm);
  background: var(--failed-soft);
}

.task[data-status='cancelled'] .task-error {
  color: var(--text-2);
  background: var(--cancelled-soft);
}

.task-result {
  display: flex;
  flex-direction: column;
  gap: 6px;
}

.result-file {
  font-size: 0.9rem;
  overflow-wrap: anywhere;
}

.result-json {
  margin: 0;
  padding: 10px 12px;
  max-height: 220px;
  overflow: auto;
  border-radius: var(--radius-sm);
  border: 1px solid var(--border);
  background: var(--surface);
  font-size: 0.8rem;
}

/* ------------------------------------------------------------ toasts */

.toasts {
  position: fixed;
  right: 20px;
  bottom: 20px;
  z-index: 20;
  display: flex;
  flex-direction: column;
  gap: 8px;
  max-width: min(420px, calc(100vw - 40px));
}

.toast {
  display: flex;
  align-items: flex-start;
  gap: 10px;
  padding: 10px 10px 10px 14px;
  border-radius: var(--radius-sm);
  border: 1px solid var(--border);
  border-left: 4px solid var(--accent);
  background: var(--surface);
  box-shadow: var(--shadow-lg);
  font-size: 0.88rem;
  animation: slide-in 0.2s ease-out;
}

.toast-success {
  border-left-color: var(--completed);
}

.toast-error {
  border-left-color: var(--failed);
}

.toast-text {
  flex: 1;
  overflow-wrap: anywhere;
}

.toast-close {
  flex: none;
  width: 24px;
  height: 24px;
  border: 0;
  border-radius: 6px;
  background: transparent;
  color: var(--muted);
  font-size: 1.1rem;
  line-height: 1;
  cursor: pointer;
}

.toast-close:hover {
  background: var(--surface-2);
  color: var(--text);
}

@keyframes slide-in {
  from {
    transform: translateY(8px);
    opacity: 0;
  }
}

/* ------------------------------------------------------------ small screens */

@media (max-width: 900px) {
  .layout {
    grid-template-columns: minmax(0, 1fr);
    padding: 16px;
    gap: 16px;
  }

  .submit-panel {
    position: static;
  }
}

@media (max-width: 600px) {
  .header-inner {
    padding: 10px 16px;
  }

  .brand-divider,
  .brand-tag {
    display: none;
  }

  .panel {
    padding: 16px;
  }

  .task-main {
    grid-template-areas:
      'title title'
      'progress progress'
      'message time'
      'actions actions';
    gap: 8px 12px;
  }

  .task-actions {
    justify-content: stretch;
    padding-top: 4px;
  }

  .task-actions > * {
    flex: 1;
  }

  .toasts {
    left: 12px;
    right: 12px;
    bottom: 12px;
    max-width: none;
  }

  .field-row {
    grid-template-columns: 1fr;
  }
}

@media (prefers-reduced-motion: reduce) {
  *,
  *::before,
  *::after {
    animation-duration: 0.01ms !important;
    animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important;
  }
}
`;
