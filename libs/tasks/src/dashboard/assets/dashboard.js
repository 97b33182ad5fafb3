(function () {
  'use strict';

  // ------------------------------------------------------------ configuration

  var body = document.body;
  var BASE = body.dataset.base || '';
  var TASKS_URL = BASE + '/tasks';
  var SOCKET_PATH = body.dataset.socketPath || '/socket.io';
  var NAMESPACE = body.dataset.socketNamespace || '/tasks';
  var PAGE_SIZE = 50;
  var TERMINAL = ['completed', 'failed', 'cancelled'];
  var EVENTS = [
    'task.created',
    'task.progress',
    'task.step',
    'task.completed',
    'task.failed',
    'task.cancelled',
    'task.paused',
    'task.resumed',
  ];
  var STATUS_LABELS = {
    pending: 'Pending',
    running: 'Running',
    paused: 'Paused',
    compensating: 'Compensating',
    completed: 'Completed',
    failed: 'Failed',
    cancelled: 'Cancelled',
  };

  // ------------------------------------------------------------ state

  /** Task views by id (the REST view, patched by live events). */
  var tasks = new Map();
  /** List items by task id. */
  var items = new Map();
  /** Ids with a subscribe sent on the current connection. */
  var subscribed = new Set();
  /** Ids added live (submit, task.created) while a list load was in flight: kept by that load. */
  var addedLive = new Map();
  /** Pending refreshes of one task's full view, coalesced. */
  var refreshTimers = new Map();
  var filter = '';
  var nextCursor = null;
  var total = null;
  var loadSeq = 0;
  var loading = false;
  var socket = null;

  // ------------------------------------------------------------ elements

  function $(id) {
    var el = document.getElementById(id);
    if (!el) throw new Error('dashboard: missing #' + id);
    return el;
  }

  var listEl = $('task-list');
  var listState = $('list-state');
  var countEl = $('task-count');
  var loadMoreBtn = $('load-more');
  var connectionEl = $('connection');
  var toastsEl = $('toasts');
  var taskTemplate = $('task-template');
  var stepTemplate = $('step-template');

  // ------------------------------------------------------------ helpers

  function isTerminal(status) {
    return TERMINAL.indexOf(status) !== -1;
  }

  function shortId(id) {
    return String(id).slice(0, 8);
  }

  function clampProgress(value) {
    var n = Number(value);
    if (!isFinite(n)) return 0;
    return Math.min(1, Math.max(0, n));
  }

  /** A same-origin path from the server, never a javascript: or protocol-relative URL. */
  function safePath(path) {
    return typeof path === 'string' && path.charAt(0) === '/' && path.charAt(1) !== '/' ? path : null;
  }

  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  var dateTimeFormat = new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return '';
    var today = new Date();
    return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
  }

  function formatDuration(ms) {
    if (!(ms >= 0)) return '';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    var minutes = Math.floor(ms / 60000);
    var seconds = Math.round((ms % 60000) / 1000);
    return minutes + ' min ' + seconds + ' s';
  }

  function formatBytes(bytes) {
    var n = Number(bytes);
    if (!isFinite(n) || n < 0) return '';
    if (n < 1024) return n + ' B';
    var units = ['KB', 'MB', 'GB', 'TB'];
    var i = -1;
    do {
      n /= 1024;
      i++;
    } while (n >= 1024 && i < units.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function part(root, name) {
    return root.querySelector('[data-part="' + name + '"]');
  }

  function taskLabel(task) {
    return task.type + ' ' + shortId(task.id);
  }

  // ------------------------------------------------------------ HTTP

  function errorMessage(status, body) {
    if (body && typeof body.message === 'string') return body.message;
    if (body && Array.isArray(body.message)) return body.message.join('; ');
    return 'Request failed (HTTP ' + status + ')';
  }

  async function api(path, init) {
    var response;
    try {
      response = await fetch(path, Object.assign({ headers: { Accept: 'application/json' } }, init || {}));
    } catch (_error) {
      throw new Error('The server cannot be reached');
    }
    if (response.status === 204) return { response: response, body: null };
    var body = null;
    var type = response.headers.get('Content-Type') || '';
    if (type.indexOf('json') !== -1)
      body = await response.json().catch(function () {
        return null;
      });
    if (!response.ok) {
      var error = new Error(errorMessage(response.status, body));
      error.status = response.status;
      throw error;
    }
    return { response: response, body: body };
  }

  /** Multipart upload with progress (fetch cannot report upload progress). */
  function upload(url, formData, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.responseType = 'json';
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', function (event) {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener('load', function () {
        var body = xhr.response;
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new Error(errorMessage(xhr.status, body)));
      });
      xhr.addEventListener('error', function () {
        reject(new Error('The upload failed: the server cannot be reached'));
      });
      xhr.addEventListener('abort', function () {
        reject(new Error('The upload was aborted'));
      });
      xhr.send(formData);
    });
  }

  // ------------------------------------------------------------ notices

  function toast(message, kind) {
    var node = el('div', 'toast toast-' + (kind || 'info'));
    // The container is a polite live region; an error interrupts.
    if (kind === 'error') node.setAttribute('role', 'alert');
    node.appendChild(el('span', 'toast-text', message));
    var close = el('button', 'toast-close', '\u00d7');
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss');
    close.addEventListener('click', function () {
      node.remove();
    });
    node.appendChild(close);
    toastsEl.appendChild(node);
    // A burst of actions shows the latest few, not a wall of notices.
    while (toastsEl.children.length > 3) toastsEl.firstElementChild.remove();
    setTimeout(
      function () {
        node.remove();
      },
      kind === 'error' ? 8000 : 4000,
    );
  }

  function setConnection(state, label) {
    connectionEl.dataset.state = state;
    part(connectionEl, 'label').textContent = label;
  }

  // ------------------------------------------------------------ rendering

  function matchesFilter(status) {
    return !filter || filter === status;
  }

  function createItem(task) {
    var fragment = taskTemplate.content.cloneNode(true);
    var item = fragment.querySelector('li');
    var detailsId = 'task-details-' + task.id;
    var toggle = part(item, 'toggle');
    part(item, 'details').id = detailsId;
    toggle.setAttribute('aria-controls', detailsId);
    toggle.addEventListener('click', function () {
      setExpanded(task.id, toggle.getAttribute('aria-expanded') !== 'true');
    });
    part(item, 'cancel').addEventListener('click', function () {
      cancelTask(task.id);
    });
    part(item, 'delete').addEventListener('click', function () {
      deleteTask(task.id);
    });
    item.dataset.taskId = task.id;
    return item;
  }

  function renderTask(task) {
    var item = items.get(task.id);
    if (!item) return;
    var status = task.status;
    var percent = Math.round(clampProgress(task.progress) * 100);
    var label = taskLabel(task);
    item.dataset.status = status;

    part(item, 'type').textContent = task.type;
    var idEl = part(item, 'id');
    idEl.textContent = shortId(task.id);
    idEl.title = task.id;

    var badge = part(item, 'status');
    badge.textContent = STATUS_LABELS[status] || status;
    badge.dataset.status = status;

    var bar = part(item, 'bar');
    bar.setAttribute('aria-valuenow', String(percent));
    bar.setAttribute('aria-valuetext', percent + '%');
    bar.setAttribute('aria-label', 'Progress of ' + label);
    part(item, 'fill').style.width = percent + '%';
    part(item, 'percent').textContent = percent + '%';

    var message = task.error && status === 'failed' ? task.error.message : task.message;
    part(item, 'message').textContent = message || (status === 'pending' ? 'Waiting for a worker…' : '');

    var time = part(item, 'time');
    time.dateTime = task.createdAt || '';
    time.textContent = task.createdAt ? 'Created ' + formatTime(task.createdAt) : '';
    time.title = task.createdAt ? new Date(task.createdAt).toLocaleString() : '';

    var cancel = part(item, 'cancel');
    cancel.hidden = isTerminal(status);
    cancel.setAttribute('aria-label', 'Cancel ' + label);
    part(item, 'delete').setAttribute('aria-label', 'Delete ' + label);

    var download = part(item, 'download');
    var href = status === 'completed' && task.links ? safePath(task.links.download) : null;
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
    var item = items.get(id);
    var task = tasks.get(id);
    if (!item || !task) return;
    var toggle = part(item, 'toggle');
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
    var item = items.get(task.id);
    if (!item) return;
    var timeline = part(item, 'timeline');
    timeline.replaceChildren();
    var steps = Array.isArray(task.steps) ? task.steps : [];
    if (steps.length === 0) timeline.appendChild(el('li', 'timeline-empty', 'Loading steps…'));
    steps.forEach(function (step) {
      timeline.appendChild(renderStep(step));
    });

    var errorEl = part(item, 'error');
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

    var resultEl = part(item, 'result');
    if (task.status !== 'completed') {
      resultEl.hidden = true;
      resultEl.replaceChildren();
    } else if (!resultEl.dataset.loaded) {
      resultEl.dataset.loaded = 'loading';
      loadResult(task.id);
    }
  }

  function renderStep(step) {
    var node = stepTemplate.content.cloneNode(true).querySelector('li');
    node.dataset.status = step.status;
    part(node, 'name').textContent = step.name;
    var placement = part(node, 'placement');
    placement.textContent = step.on;
    placement.title = step.on === 'api' ? 'Runs in the API process' : 'Runs on a worker';
    part(node, 'status').textContent = step.status;
    var meta = [];
    if (step.attempts > 0) meta.push(step.attempts === 1 ? '1 attempt' : step.attempts + ' attempts');
    if (step.startedAt) {
      var end = step.finishedAt ? Date.parse(step.finishedAt) : Date.now();
      var took = formatDuration(end - Date.parse(step.startedAt));
      if (took) meta.push(step.finishedAt ? took : 'running for ' + took);
    }
    if (step.status === 'running' && step.progress > 0) meta.push(Math.round(step.progress * 100) + '%');
    part(node, 'meta').textContent = meta.join(' · ') || 'Not started';
    var error = part(node, 'error');
    error.hidden = !step.error;
    if (step.error) error.textContent = step.error.message + (step.error.code ? ' [' + step.error.code + ']' : '');
    return node;
  }

  async function loadResult(id) {
    var item = items.get(id);
    if (!item) return;
    var resultEl = part(item, 'result');
    try {
      var result = (await api(TASKS_URL + '/' + encodeURIComponent(id) + '/result')).body;
      resultEl.replaceChildren();
      resultEl.dataset.loaded = 'yes';
      resultEl.appendChild(el('h4', 'details-heading', 'Result'));
      if (result && result.file) {
        var file = result.file;
        var line = el('p', 'result-file');
        var href = safePath(file.downloadUrl);
        var name = href ? el('a', 'link', file.name) : el('span', null, file.name);
        if (href) name.href = href;
        line.appendChild(name);
        var entries = result.output && Array.isArray(result.output.entries) ? result.output.entries.length : null;
        var facts = [formatBytes(file.size)];
        if (entries !== null) facts.push(entries === 1 ? '1 entry' : entries + ' entries');
        line.appendChild(el('span', 'muted', ' · ' + facts.join(' · ')));
        resultEl.appendChild(line);
      } else {
        var json = JSON.stringify(result ? result.output : null, null, 2) || 'null';
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
    var shown = items.size;
    countEl.textContent =
      total !== null && total > shown ? shown + ' of ' + total : shown === 1 ? '1 task' : shown + ' tasks';
    loadMoreBtn.hidden = !nextCursor;
  }

  function createdAtOf(id) {
    var task = tasks.get(id);
    var at = task ? Date.parse(task.createdAt) : NaN;
    return isNaN(at) ? 0 : at;
  }

  /** Keeps the DOM order: newest first. */
  function sortItems() {
    var ids = Array.from(items.keys()).sort(function (a, b) {
      return createdAtOf(b) - createdAtOf(a) || (a < b ? -1 : a > b ? 1 : 0);
    });
    var current = Array.from(listEl.children);
    var same =
      current.length === ids.length &&
      current.every(function (node, i) {
        return node.dataset.taskId === ids[i];
      });
    if (same) return;
    ids.forEach(function (id) {
      listEl.appendChild(items.get(id));
    });
  }

  /** Adds or updates a task from a REST view. */
  function upsert(view, options) {
    if (!view || typeof view.id !== 'string') return;
    var existing = tasks.get(view.id);
    // A late snapshot or event never brings a finished task back to life.
    if (existing && isTerminal(existing.status) && !isTerminal(view.status)) return;
    var task = Object.assign({}, existing || {}, view);
    tasks.set(task.id, task);
    if (!items.has(task.id)) {
      var item = createItem(task);
      items.set(task.id, item);
      if (options && options.highlight) {
        item.classList.add('is-new');
        setTimeout(function () {
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
  }

  function removeTask(id) {
    var item = items.get(id);
    if (item) item.remove();
    items.delete(id);
    tasks.delete(id);
    addedLive.delete(id);
    var timer = refreshTimers.get(id);
    if (timer) clearTimeout(timer);
    refreshTimers.delete(id);
    unsubscribe(id);
    showListState();
  }

  // ------------------------------------------------------------ list

  async function loadTasks(append) {
    var seq = ++loadSeq;
    loading = true;
    if (!append) addedLive.clear();
    showListState();
    var query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filter) query.set('status', filter);
    if (append && nextCursor) query.set('cursor', nextCursor);
    try {
      var result = await api(TASKS_URL + '?' + query.toString());
      if (seq !== loadSeq) return;
      var page = result.body || { items: [], nextCursor: null };
      var header = Number(result.response.headers.get('X-Total-Count'));
      total = isFinite(header) && result.response.headers.has('X-Total-Count') ? header : null;
      nextCursor = page.nextCursor || null;
      if (!append) {
        var keep = new Set(
          page.items.map(function (view) {
            return view.id;
          }),
        );
        Array.from(items.keys()).forEach(function (id) {
          var task = tasks.get(id);
          var live = addedLive.has(id) && task && matchesFilter(task.status);
          if (!keep.has(id) && !live) removeTask(id);
        });
      }
      loading = false;
      page.items.forEach(function (view) {
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

  function scheduleRefresh(id, delay) {
    if (refreshTimers.has(id)) return;
    refreshTimers.set(
      id,
      setTimeout(async function () {
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
    var task = tasks.get(id);
    var item = items.get(id);
    if (!task || !item) return;
    var button = part(item, 'cancel');
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
    var task = tasks.get(id);
    var item = items.get(id);
    if (!task || !item) return;
    var running = !isTerminal(task.status);
    var question =
      'Delete ' +
      taskLabel(task) +
      '?' +
      (running ? ' It is still running and will be cancelled.' : '') +
      ' Its stored files are deleted too.';
    if (!window.confirm(question)) return;
    var button = part(item, 'delete');
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

  function submitted(view, what) {
    if (matchesFilter(view.status)) upsert(view, { highlight: true, live: true });
    toast(what + ' started: ' + taskLabel(view), 'success');
  }

  // ------------------------------------------------------------ live events

  function subscribe(id) {
    if (!socket || !socket.connected || subscribed.has(id)) return;
    subscribed.add(id);
    socket.emit('subscribe', { taskId: id }, function (ack) {
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
    var task = tasks.get(id);
    if (task && items.has(id) && !isTerminal(task.status)) subscribe(id);
    else unsubscribe(id);
  }

  function syncSubscriptions() {
    tasks.forEach(function (_task, id) {
      syncSubscription(id);
    });
  }

  function onEvent(name, event) {
    if (!event || typeof event.taskId !== 'string') return;
    var id = event.taskId;
    var task = tasks.get(id);
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
    var patch = { status: event.status, progress: event.progress };
    if (event.message !== undefined) patch.message = event.message;
    if (name === 'task.step' && event.step && Array.isArray(task.steps)) {
      patch.steps = task.steps.map(function (step) {
        return step.name === event.step && event.stepStatus
          ? Object.assign({}, step, { status: event.stepStatus })
          : step;
      });
    }
    upsert(Object.assign({}, task, patch));
    // Steps (attempts, times, errors), the error and the download link come with the full view.
    if (name !== 'task.progress' || isTerminal(event.status)) scheduleRefresh(id, 100);
  }

  function connect() {
    if (typeof window.io !== 'function') {
      setConnection('offline', 'Live updates unavailable');
      setInterval(function () {
        if (!document.hidden) loadTasks(false);
      }, 5000);
      return;
    }
    var connectedBefore = false;
    var refused = false;
    socket = window.io(NAMESPACE, { path: SOCKET_PATH });
    socket.on('connect', function () {
      setConnection('live', 'Live');
      subscribed.clear();
      if (connectedBefore) loadTasks(false);
      else syncSubscriptions();
      connectedBefore = true;
    });
    socket.on('disconnect', function (reason) {
      subscribed.clear();
      if (refused) return;
      setConnection('reconnecting', 'Reconnecting…');
      // The client reconnects by itself after a lost transport, not after the server closed the socket.
      if (reason === 'io server disconnect') {
        setTimeout(function () {
          if (!socket.connected) socket.connect();
        }, 1000);
      }
    });
    socket.on('connect_error', function () {
      setConnection('reconnecting', 'Reconnecting…');
    });
    socket.on('error', function (error) {
      refused = true;
      setConnection('offline', 'Not connected');
      toast('Live updates refused: ' + (error && error.message ? error.message : 'unknown error'), 'error');
    });
    EVENTS.forEach(function (name) {
      socket.on(name, function (event) {
        onEvent(name, event);
      });
    });
  }

  // ------------------------------------------------------------ forms

  function setupTabs() {
    var tabs = Array.from(document.querySelectorAll('[role="tab"]'));
    function select(tab, focus) {
      tabs.forEach(function (other) {
        var selected = other === tab;
        other.setAttribute('aria-selected', String(selected));
        other.tabIndex = selected ? 0 : -1;
        $(other.getAttribute('aria-controls')).hidden = !selected;
      });
      if (focus) tab.focus();
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener('click', function () {
        select(tab, false);
      });
      tab.addEventListener('keydown', function (event) {
        var next = null;
        if (event.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
        else if (event.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (event.key === 'Home') next = tabs[0];
        else if (event.key === 'End') next = tabs[tabs.length - 1];
        if (next) {
          event.preventDefault();
          select(next, true);
        }
      });
    });
  }

  function setFormError(form, message) {
    var error = form.querySelector('.form-error');
    error.textContent = message || '';
    error.hidden = !message;
  }

  function setupZipForm() {
    var form = $('zip-form');
    var input = $('zip-files');
    var nameInput = $('zip-name');
    var dropzone = $('zip-dropzone');
    var fileList = $('zip-file-list');
    var progressWrap = $('zip-upload');
    var progressBar = $('zip-upload-bar');
    var submit = form.querySelector('button[type="submit"]');

    function showFiles() {
      fileList.replaceChildren();
      var files = Array.from(input.files || []);
      var bytes = 0;
      files.forEach(function (file) {
        bytes += file.size;
        var row = el('li');
        row.appendChild(el('span', 'file-name', file.name));
        row.appendChild(el('span', 'file-size', formatBytes(file.size)));
        fileList.appendChild(row);
      });
      fileList.hidden = files.length === 0;
      $('zip-summary').textContent = files.length
        ? files.length + (files.length === 1 ? ' file, ' : ' files, ') + formatBytes(bytes)
        : 'No file chosen';
      dropzone.classList.toggle('has-files', files.length > 0);
    }

    input.addEventListener('change', function () {
      setFormError(form, '');
      showFiles();
    });
    ['dragenter', 'dragover'].forEach(function (type) {
      dropzone.addEventListener(type, function (event) {
        event.preventDefault();
        dropzone.classList.add('is-dragging');
      });
    });
    ['dragleave', 'drop'].forEach(function (type) {
      dropzone.addEventListener(type, function () {
        dropzone.classList.remove('is-dragging');
      });
    });
    dropzone.addEventListener('drop', function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event('change'));
      }
    });

    function setUploadProgress(fraction) {
      var percent = Math.round(fraction * 100);
      progressBar.setAttribute('aria-valuenow', String(percent));
      progressBar.setAttribute('aria-valuetext', percent + '%');
      progressBar.querySelector('.bar-fill').style.width = percent + '%';
      $('zip-upload-text').textContent = percent < 100 ? 'Uploading… ' + percent + '%' : 'Processing…';
    }

    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      setFormError(form, '');
      var files = Array.from(input.files || []);
      if (files.length === 0) {
        setFormError(form, 'Choose at least one file.');
        input.focus();
        return;
      }
      var name = nameInput.value.trim();
      if (name && !/\.zip$/i.test(name)) name += '.zip';
      var data = new FormData();
      // Text fields before the files: the server reads the parts in order.
      if (name) data.append('outputName', name);
      files.forEach(function (file) {
        data.append('files', file, file.name);
      });
      submit.disabled = true;
      progressWrap.hidden = false;
      setUploadProgress(0);
      try {
        var view = await upload(TASKS_URL + '/create-zip', data, setUploadProgress);
        form.reset();
        showFiles();
        submitted(view, 'ZIP');
      } catch (error) {
        setFormError(form, error.message);
      } finally {
        submit.disabled = false;
        progressWrap.hidden = true;
      }
    });
    showFiles();
  }

  function setupCountdownForm() {
    var form = $('countdown-form');
    var submit = form.querySelector('button[type="submit"]');
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      setFormError(form, '');
      if (!form.reportValidity()) return;
      var input = { ticks: Number($('countdown-ticks').value), tickMs: Number($('countdown-tick-ms').value) };
      submit.disabled = true;
      try {
        var view = (
          await api(TASKS_URL + '/countdown', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify(input),
          })
        ).body;
        submitted(view, 'Countdown');
      } catch (error) {
        setFormError(form, error.message);
      } finally {
        submit.disabled = false;
      }
    });
  }

  function setupList() {
    document.querySelectorAll('input[name="status-filter"]').forEach(function (radio) {
      radio.addEventListener('change', function () {
        if (!radio.checked) return;
        filter = radio.value;
        nextCursor = null;
        total = null;
        Array.from(items.keys()).forEach(removeTask);
        loadTasks(false);
      });
    });
    $('refresh').addEventListener('click', function () {
      loadTasks(false);
    });
    loadMoreBtn.addEventListener('click', function () {
      loadTasks(true);
    });
  }

  setupTabs();
  setupZipForm();
  setupCountdownForm();
  setupList();
  connect();
  loadTasks(false);
})();
