// The task list: loaded over REST, kept live over Socket.IO, with each task's steps, result and actions.
import { STATUS_LABELS, TASKS_URL, data, isTerminal } from './config.js';
import { $, clampProgress, el, formatBytes, formatDuration, formatTime, part, safePath, shortId } from './dom.js';
import { askCredential, credential, onSignIn, setupCredentialDownloads } from './credential.js';
import { api } from './http.js';
import { setConnection, toast } from './notices.js';
import { scheduleStatsRefresh, startStats } from './stats.js';

const PAGE_SIZE = 50;

// ------------------------------------------------------------ state

/** Task views by id (the REST view, patched by live events). */
const tasks = new Map();
/** List items by task id. */
const items = new Map();
/** Ids with a subscribe sent on the current connection. */
const subscribed = new Set();
/** Ids added live (submit, task.created) while a list load was in flight: kept by that load. */
const addedLive = new Map();
/** Pending refreshes of one task's full view, coalesced. */
const refreshTimers = new Map();
let filter = '';
let nextCursor = null;
let total = null;
let loadSeq = 0;
let loading = false;
let socket = null;

// ------------------------------------------------------------ elements

const listEl = $('task-list');
const listState = $('list-state');
const countEl = $('task-count');
const loadMoreBtn = $('load-more');
const taskTemplate = $('task-template');
const stepTemplate = $('step-template');

function taskLabel(task) {
  return task.type + ' ' + shortId(task.id);
}

// ------------------------------------------------------------ rendering

function matchesFilter(status) {
  return !filter || filter === status;
}

function createItem(task) {
  const fragment = taskTemplate.content.cloneNode(true);
  const item = fragment.querySelector('li');
  const detailsId = 'task-details-' + task.id;
  const toggle = part(item, 'toggle');
  part(item, 'details').id = detailsId;
  toggle.setAttribute('aria-controls', detailsId);
  toggle.addEventListener('click', () => {
    setExpanded(task.id, toggle.getAttribute('aria-expanded') !== 'true');
  });
  part(item, 'cancel').addEventListener('click', () => {
    cancelTask(task.id);
  });
  part(item, 'delete').addEventListener('click', () => {
    deleteTask(task.id);
  });
  item.dataset.taskId = task.id;
  return item;
}

function renderTask(task) {
  const item = items.get(task.id);
  if (!item) return;
  const status = task.status;
  const percent = Math.round(clampProgress(task.progress) * 100);
  const label = taskLabel(task);
  item.dataset.status = status;

  part(item, 'type').textContent = task.type;
  const idEl = part(item, 'id');
  idEl.textContent = shortId(task.id);
  idEl.title = task.id;

  const badge = part(item, 'status');
  badge.textContent = STATUS_LABELS[status] || status;
  badge.dataset.status = status;

  const bar = part(item, 'bar');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', percent + '%');
  bar.setAttribute('aria-label', 'Progress of ' + label);
  part(item, 'fill').style.width = percent + '%';
  part(item, 'percent').textContent = percent + '%';

  const message = task.error && status === 'failed' ? task.error.message : task.message;
  part(item, 'message').textContent = message || (status === 'pending' ? 'Waiting for a worker…' : '');

  const time = part(item, 'time');
  time.dateTime = task.createdAt || '';
  time.textContent = task.createdAt ? 'Created ' + formatTime(task.createdAt) : '';
  time.title = task.createdAt ? new Date(task.createdAt).toLocaleString() : '';

  const cancel = part(item, 'cancel');
  cancel.hidden = isTerminal(status);
  cancel.setAttribute('aria-label', 'Cancel ' + label);
  part(item, 'delete').setAttribute('aria-label', 'Delete ' + label);

  const download = part(item, 'download');
  const href = status === 'completed' && task.links ? safePath(task.links.download) : null;
  download.hidden = !href;
  if (href) {
    download.href = href;
    download.setAttribute('aria-label', 'Download the result of ' + label);
  } else {
    download.removeAttribute('href');
  }

  part(item, 'toggle').setAttribute('aria-label', label + ': show steps');
  if (part(item, 'toggle').getAttribute('aria-expanded') === 'true') renderDetails(task);
}

function setExpanded(id, expanded) {
  const item = items.get(id);
  const task = tasks.get(id);
  if (!item || !task) return;
  const toggle = part(item, 'toggle');
  toggle.setAttribute('aria-expanded', String(expanded));
  toggle.setAttribute('aria-label', taskLabel(task) + (expanded ? ': hide steps' : ': show steps'));
  part(item, 'details').hidden = !expanded;
  item.classList.toggle('is-expanded', expanded);
  if (expanded) {
    renderDetails(task);
    // The list's views carry the steps; a live-added task may not have them yet.
    scheduleRefresh(id, 0);
  }
}

function renderDetails(task) {
  const item = items.get(task.id);
  if (!item) return;
  const timeline = part(item, 'timeline');
  timeline.replaceChildren();
  const steps = Array.isArray(task.steps) ? task.steps : [];
  if (steps.length === 0) timeline.appendChild(el('li', 'timeline-empty', 'Loading steps…'));
  steps.forEach((step) => {
    timeline.appendChild(renderStep(step));
  });

  renderChildren(part(item, 'children'), Array.isArray(task.children) ? task.children : []);

  const errorEl = part(item, 'error');
  errorEl.replaceChildren();
  errorEl.hidden = !task.error;
  if (task.error) {
    errorEl.appendChild(el('strong', null, task.status === 'cancelled' ? 'Stopped: ' : 'Error: '));
    errorEl.appendChild(
      document.createTextNode(
        task.error.message +
          (task.error.step ? ' (step ' + task.error.step + ')' : '') +
          (task.error.code ? ' [' + task.error.code + ']' : ''),
      ),
    );
  }

  const resultEl = part(item, 'result');
  if (task.status !== 'completed') {
    resultEl.hidden = true;
    resultEl.replaceChildren();
  } else if (!resultEl.dataset.loaded) {
    resultEl.dataset.loaded = 'loading';
    loadResult(task.id);
  }
}

/** The tasks a task's steps spawned (its view lists them), each with its status. */
function renderChildren(container, children) {
  container.replaceChildren();
  container.hidden = children.length === 0;
  if (children.length === 0) return;
  container.appendChild(el('h4', 'details-heading', 'Child tasks'));
  const list = el('ul', 'children');
  for (const child of children) {
    const entry = el('li', 'child');
    entry.dataset.status = child.status;
    entry.dataset.taskId = child.id;
    // Down the tree: the child's own entry in the list, opened (its details list its children).
    const open = el('button', 'child-open', child.type);
    open.type = 'button';
    open.setAttribute('aria-label', 'Open ' + child.type + ' ' + shortId(child.id));
    open.addEventListener('click', () => {
      openTask(child.id);
    });
    entry.appendChild(open);
    const badge = el('span', 'badge', STATUS_LABELS[child.status] || child.status);
    badge.dataset.status = child.status;
    entry.appendChild(badge);
    entry.appendChild(el('code', 'muted', child.id.slice(0, 8)));
    list.appendChild(entry);
  }
  container.appendChild(list);
}

function renderStep(step) {
  const node = stepTemplate.content.cloneNode(true).querySelector('li');
  node.dataset.status = step.status;
  part(node, 'name').textContent = step.name;
  const placement = part(node, 'placement');
  placement.textContent = step.on;
  placement.title = step.on === 'api' ? 'Runs in the API process' : 'Runs on a worker';
  part(node, 'status').textContent = step.status;
  const meta = [];
  if (step.attempts > 0) meta.push(step.attempts === 1 ? '1 attempt' : step.attempts + ' attempts');
  if (step.startedAt) {
    const end = step.finishedAt ? Date.parse(step.finishedAt) : Date.now();
    const took = formatDuration(end - Date.parse(step.startedAt));
    if (took) meta.push(step.finishedAt ? took : 'running for ' + took);
  }
  if (step.status === 'running' && step.progress > 0) meta.push(Math.round(step.progress * 100) + '%');
  part(node, 'meta').textContent = meta.join(' · ') || 'Not started';
  const error = part(node, 'error');
  error.hidden = !step.error;
  if (step.error) error.textContent = step.error.message + (step.error.code ? ' [' + step.error.code + ']' : '');
  return node;
}

async function loadResult(id) {
  const item = items.get(id);
  if (!item) return;
  const resultEl = part(item, 'result');
  try {
    const result = (await api(TASKS_URL + '/' + encodeURIComponent(id) + '/result')).body;
    resultEl.replaceChildren();
    resultEl.dataset.loaded = 'yes';
    resultEl.appendChild(el('h4', 'details-heading', 'Result'));
    if (result && result.file) {
      const file = result.file;
      const line = el('p', 'result-file');
      const href = safePath(file.downloadUrl);
      const name = href ? el('a', 'link', file.name) : el('span', null, file.name);
      if (href) name.href = href;
      line.appendChild(name);
      const entries = result.output && Array.isArray(result.output.entries) ? result.output.entries.length : null;
      const facts = [formatBytes(file.size)];
      if (entries !== null) facts.push(entries === 1 ? '1 entry' : entries + ' entries');
      line.appendChild(el('span', 'muted', ' · ' + facts.join(' · ')));
      resultEl.appendChild(line);
    } else {
      const json = JSON.stringify(result ? result.output : null, null, 2) || 'null';
      resultEl.appendChild(el('pre', 'result-json', json.length > 2000 ? json.slice(0, 2000) + '\n…' : json));
    }
    resultEl.hidden = false;
  } catch (error) {
    delete resultEl.dataset.loaded;
    if (error.status === 404) removeTask(id);
  }
}

function showListState() {
  if (loading && items.size === 0) {
    listState.textContent = 'Loading tasks…';
    listState.hidden = false;
  } else if (items.size === 0) {
    listState.textContent = filter
      ? 'No ' + (STATUS_LABELS[filter] || filter).toLowerCase() + ' tasks.'
      : 'No tasks yet. Start one from the panel on the left.';
    listState.hidden = false;
  } else {
    listState.hidden = true;
  }
  const shown = items.size;
  countEl.textContent =
    total !== null && total > shown ? shown + ' of ' + total : shown === 1 ? '1 task' : shown + ' tasks';
  loadMoreBtn.hidden = !nextCursor;
}

function createdAtOf(id) {
  const task = tasks.get(id);
  const at = task ? Date.parse(task.createdAt) : NaN;
  return isNaN(at) ? 0 : at;
}

/** Keeps the DOM order: newest first. */
function sortItems() {
  const ids = Array.from(items.keys()).sort((a, b) => createdAtOf(b) - createdAtOf(a) || (a < b ? -1 : a > b ? 1 : 0));
  const current = Array.from(listEl.children);
  const same = current.length === ids.length && current.every((node, i) => node.dataset.taskId === ids[i]);
  if (same) return;
  ids.forEach((id) => {
    listEl.appendChild(items.get(id));
  });
}

/** Adds or updates a task from a REST view. */
function upsert(view, options) {
  if (!view || typeof view.id !== 'string') return;
  const existing = tasks.get(view.id);
  // A late snapshot or event never brings a finished task back to life.
  if (existing && isTerminal(existing.status) && !isTerminal(view.status)) return;
  const task = Object.assign({}, existing || {}, view);
  tasks.set(task.id, task);
  if (!items.has(task.id)) {
    const item = createItem(task);
    items.set(task.id, item);
    if (options && options.highlight) {
      item.classList.add('is-new');
      setTimeout(() => {
        item.classList.remove('is-new');
      }, 1600);
    }
    if (loading) addedLive.set(task.id, true);
    renderTask(task);
    sortItems();
    if (total !== null && options && options.live) total += 1;
    showListState();
  } else {
    renderTask(task);
  }
  syncSubscription(task.id);
  updateParents(task);
}

/** A child's status, as its parent's details list it, follows the child's own events. */
function updateParents(child) {
  tasks.forEach((parent) => {
    if (!Array.isArray(parent.children)) return;
    const entry = parent.children.find((c) => c.id === child.id);
    if (!entry || entry.status === child.status) return;
    parent.children = parent.children.map((c) =>
      c.id === child.id ? Object.assign({}, c, { status: child.status }) : c,
    );
    renderTask(parent);
  });
}

function removeTask(id) {
  const item = items.get(id);
  if (item) item.remove();
  items.delete(id);
  tasks.delete(id);
  addedLive.delete(id);
  const timer = refreshTimers.get(id);
  if (timer) clearTimeout(timer);
  refreshTimers.delete(id);
  unsubscribe(id);
  showListState();
}

// ------------------------------------------------------------ list

async function loadTasks(append) {
  const seq = ++loadSeq;
  loading = true;
  if (!append) addedLive.clear();
  showListState();
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filter) query.set('status', filter);
  if (append && nextCursor) query.set('cursor', nextCursor);
  try {
    const result = await api(TASKS_URL + '?' + query.toString());
    if (seq !== loadSeq) return;
    const page = result.body || { items: [], nextCursor: null };
    const header = Number(result.response.headers.get('X-Total-Count'));
    total = isFinite(header) && result.response.headers.has('X-Total-Count') ? header : null;
    nextCursor = page.nextCursor || null;
    if (!append) {
      const keep = new Set(page.items.map((view) => view.id));
      Array.from(items.keys()).forEach((id) => {
        const task = tasks.get(id);
        const live = addedLive.has(id) && task && matchesFilter(task.status);
        if (!keep.has(id) && !live) removeTask(id);
      });
    }
    loading = false;
    page.items.forEach((view) => {
      upsert(view);
    });
    sortItems();
  } catch (error) {
    if (seq !== loadSeq) return;
    loading = false;
    toast('Could not load the tasks: ' + error.message, 'error');
  } finally {
    if (seq === loadSeq) {
      loading = false;
      addedLive.clear();
      showListState();
    }
  }
}

/**
 * Shows a task's entry opened, scrolled to and focused: loaded first when the list does not
 * hold it (another page, or filtered out).
 */
async function openTask(id) {
  if (!items.has(id)) {
    try {
      upsert((await api(TASKS_URL + '/' + encodeURIComponent(id))).body, { highlight: true });
    } catch (error) {
      toast(error.message, 'error');
      return;
    }
  }
  setExpanded(id, true);
  const toggle = part(items.get(id), 'toggle');
  items.get(id).scrollIntoView({ block: 'nearest' });
  toggle.focus();
}

function scheduleRefresh(id, delay) {
  if (refreshTimers.has(id)) return;
  refreshTimers.set(
    id,
    setTimeout(async () => {
      refreshTimers.delete(id);
      if (!tasks.has(id)) return;
      try {
        upsert((await api(TASKS_URL + '/' + encodeURIComponent(id))).body);
      } catch (error) {
        if (error.status === 404) removeTask(id);
      }
    }, delay),
  );
}

// ------------------------------------------------------------ actions

async function cancelTask(id) {
  const task = tasks.get(id);
  const item = items.get(id);
  if (!task || !item) return;
  const button = part(item, 'cancel');
  button.disabled = true;
  try {
    upsert((await api(TASKS_URL + '/' + encodeURIComponent(id) + '/cancel', { method: 'POST' })).body);
    toast('Cancelling ' + taskLabel(task));
  } catch (error) {
    if (error.status === 404) removeTask(id);
    else if (error.status === 409) scheduleRefresh(id, 0);
    toast('Could not cancel ' + taskLabel(task) + ': ' + error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

async function deleteTask(id) {
  const task = tasks.get(id);
  const item = items.get(id);
  if (!task || !item) return;
  const running = !isTerminal(task.status);
  const question =
    'Delete ' +
    taskLabel(task) +
    '?' +
    (running ? ' It is still running and will be cancelled.' : '') +
    ' Its stored files are deleted too.';
  if (!window.confirm(question)) return;
  const button = part(item, 'delete');
  button.disabled = true;
  try {
    await api(TASKS_URL + '/' + encodeURIComponent(id), { method: 'DELETE' });
    if (total !== null) total = Math.max(0, total - 1);
    removeTask(id);
    toast('Deleted ' + taskLabel(task));
  } catch (error) {
    if (error.status === 404) {
      removeTask(id);
      return;
    }
    button.disabled = false;
    toast('Could not delete ' + taskLabel(task) + ': ' + error.message, 'error');
  }
}

/** Shows a task the page itself just submitted. */
export function submitted(view, what) {
  if (matchesFilter(view.status)) upsert(view, { highlight: true, live: true });
  toast(what + ' started: ' + taskLabel(view), 'success');
}

// ------------------------------------------------------------ live events

function subscribe(id) {
  if (!socket || !socket.connected || subscribed.has(id)) return;
  subscribed.add(id);
  socket.emit('subscribe', { taskId: id }, (ack) => {
    if (!subscribed.has(id)) return;
    if (ack && ack.ok && ack.task) upsert(ack.task);
    else if (ack && !ack.ok && ack.error && ack.error.statusCode === 404) removeTask(id);
    else subscribed.delete(id);
  });
}

function unsubscribe(id) {
  if (!subscribed.has(id)) return;
  subscribed.delete(id);
  if (socket && socket.connected) socket.emit('unsubscribe', { taskId: id });
}

/** Follows every shown task that can still change; a finished one has nothing more to say. */
function syncSubscription(id) {
  const task = tasks.get(id);
  if (task && items.has(id) && !isTerminal(task.status)) subscribe(id);
  else unsubscribe(id);
}

function syncSubscriptions() {
  tasks.forEach((_task, id) => {
    syncSubscription(id);
  });
}

function onEvent(name, event) {
  if (!event || typeof event.taskId !== 'string') return;
  // Progress moves no count; every other event may (a new task, a status change).
  if (name !== 'task.progress') scheduleStatsRefresh();
  const id = event.taskId;
  const task = tasks.get(id);
  if (!task) {
    if (name !== 'task.created' || !matchesFilter(event.status)) return;
    upsert(
      {
        id: id,
        type: event.type,
        status: event.status,
        progress: event.progress,
        message: event.message || null,
        steps: [],
        createdAt: event.at,
        error: null,
        links: {},
      },
      { highlight: true, live: true },
    );
    return;
  }
  if (isTerminal(task.status)) return;
  const patch = { status: event.status, progress: event.progress };
  if (event.message !== undefined) patch.message = event.message;
  if (name === 'task.step' && event.step && Array.isArray(task.steps)) {
    patch.steps = task.steps.map((step) =>
      step.name === event.step && event.stepStatus ? Object.assign({}, step, { status: event.stepStatus }) : step,
    );
  }
  upsert(Object.assign({}, task, patch));
  // Steps (attempts, times, errors), the error and the download link come with the full view.
  if (name !== 'task.progress' || isTerminal(event.status)) scheduleRefresh(id, 100);
}

function connect() {
  if (typeof window.io !== 'function') {
    setConnection('offline', 'Live updates unavailable');
    setInterval(() => {
      if (!document.hidden) loadTasks(false);
    }, 5000);
    return;
  }
  let connectedBefore = false;
  let refused = false;
  // Set while the socket waits for a sign-in (its handshake was refused with 401): no reconnection loop.
  let awaitingCredential = false;
  socket = window.io(data.namespace, {
    path: data.socketPath,
    // Read at every (re)connection: a sign-in reconnects with the new credential.
    auth: (send) => {
      send(credential() ? { token: credential() } : {});
    },
  });
  onSignIn(() => {
    awaitingCredential = false;
    socket.disconnect().connect();
  });
  socket.on('connect', () => {
    setConnection('live', 'Live');
    subscribed.clear();
    if (connectedBefore) loadTasks(false);
    else syncSubscriptions();
    connectedBefore = true;
  });
  socket.on('disconnect', (reason) => {
    subscribed.clear();
    if (refused || awaitingCredential) return;
    setConnection('reconnecting', 'Reconnecting…');
    // The client reconnects by itself after a lost transport, not after the server closed the socket.
    if (reason === 'io server disconnect') {
      setTimeout(() => {
        if (!socket.connected) socket.connect();
      }, 1000);
    }
  });
  socket.on('connect_error', () => {
    setConnection('reconnecting', 'Reconnecting…');
  });
  socket.on('error', (error) => {
    if (error && error.statusCode === 401) {
      // Not refused for good: signing in reconnects.
      awaitingCredential = true;
      setConnection('offline', 'Sign in for live updates');
      askCredential();
      return;
    }
    refused = true;
    setConnection('offline', 'Not connected');
    toast('Live updates refused: ' + (error && error.message ? error.message : 'unknown error'), 'error');
  });
  // The model's event names, from the server: the socket sends those a client may see.
  data.events.forEach((name) => {
    socket.on(name, (event) => {
      onEvent(name, event);
    });
  });
}

// ------------------------------------------------------------ start

function setupList() {
  document.querySelectorAll('input[name="status-filter"]').forEach((radio) => {
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      filter = radio.value;
      nextCursor = null;
      total = null;
      Array.from(items.keys()).forEach(removeTask);
      loadTasks(false);
    });
  });
  $('refresh').addEventListener('click', () => {
    loadTasks(false);
    scheduleStatsRefresh();
  });
  loadMoreBtn.addEventListener('click', () => {
    loadTasks(true);
  });
}

export function startTaskList() {
  setupList();
  setupCredentialDownloads();
  onSignIn(() => {
    loadTasks(false);
    startStats();
  });
  connect();
  loadTasks(false);
  startStats();
}
