// "New task": a tab and a form per registered task type, built from its input JSON Schema.
// A type that takes files gets a file field and is sent as multipart (the other values as the
// `input` field's JSON); without files, or for any other type, the input is sent as JSON.
import { TASKS_URL, data } from './config.js';
import { $, el, formatBytes, part } from './dom.js';
import { api, upload } from './http.js';
import { FieldError, buildInputFields, humanize, propertySchema } from './schema-form.js';
import { submitted } from './tasks.js';

/** The multipart part name that carries files (the REST contract's). */
const FILES = 'files';

/** Task types are letters, digits, `.`, `_` and `-`: ids keep all but the dot. */
function idKey(type) {
  return type.replace(/[^A-Za-z0-9_-]/g, '-');
}

function lowerFirst(text) {
  // `ZIP files` keeps its acronym; `Countdown` reads `countdown` after a verb.
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

// ------------------------------------------------------------ tabs

function setupTabs(tabs) {
  function select(tab, focus) {
    tabs.forEach((other) => {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute('aria-controls')).hidden = !selected;
    });
    if (focus) tab.focus();
  }
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => {
      select(tab, false);
    });
    tab.addEventListener('keydown', (event) => {
      let next = null;
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
  select(tabs[0], false);
}

// ------------------------------------------------------------ file field

/** The drop zone of a task type that takes files; `files()` are the chosen ones. */
function fileField(key, spec) {
  const node = $('file-field-template').content.cloneNode(true).querySelector('.file-field');
  const id = key + '--' + FILES;
  const input = part(node, 'input');
  const dropzone = part(node, 'dropzone');
  const summary = part(node, 'summary');
  const list = part(node, 'list');
  const multiple = !(spec.schema && spec.schema.maxItems === 1);
  input.id = id;
  input.multiple = multiple;
  summary.id = id + '-summary';
  list.id = id + '-list';
  dropzone.htmlFor = id;
  input.setAttribute('aria-describedby', summary.id);
  part(node, 'choose').textContent = multiple ? 'Choose files' : 'Choose a file';

  function files() {
    return Array.from(input.files || []);
  }

  function show() {
    list.replaceChildren();
    let bytes = 0;
    files().forEach((file) => {
      bytes += file.size;
      const row = el('li');
      row.appendChild(el('span', 'file-name', file.name));
      row.appendChild(el('span', 'file-size', formatBytes(file.size)));
      list.appendChild(row);
    });
    const count = files().length;
    list.hidden = count === 0;
    summary.textContent = count
      ? count + (count === 1 ? ' file, ' : ' files, ') + formatBytes(bytes)
      : 'No file chosen';
    dropzone.classList.toggle('has-files', count > 0);
  }

  ['dragenter', 'dragover'].forEach((type) => {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add('is-dragging');
    });
  });
  ['dragleave', 'drop'].forEach((type) => {
    dropzone.addEventListener(type, () => {
      dropzone.classList.remove('is-dragging');
    });
  });
  dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event('change'));
    }
  });

  const progressWrap = part(node, 'upload');
  const progressBar = part(node, 'upload-bar');
  function progress(fraction) {
    if (fraction === null) {
      progressWrap.hidden = true;
      return;
    }
    const percent = Math.round(fraction * 100);
    progressWrap.hidden = false;
    progressBar.setAttribute('aria-valuenow', String(percent));
    progressBar.setAttribute('aria-valuetext', percent + '%');
    progressBar.querySelector('.bar-fill').style.width = percent + '%';
    part(node, 'upload-text').textContent = percent < 100 ? 'Uploading… ' + percent + '%' : 'Processing…';
  }

  show();
  return {
    node: node,
    input: input,
    files: files,
    show: show,
    progress: progress,
    multiple: multiple,
    required: spec.required,
  };
}

// ------------------------------------------------------------ forms

function setFormError(form, message) {
  const error = form.querySelector('.form-error');
  error.textContent = message || '';
  error.hidden = !message;
}

function taskForm(taskType) {
  const schema = taskType.schema;
  const title = (schema && typeof schema.title === 'string' && schema.title) || humanize(taskType.type);
  const key = idKey(taskType.type);
  const url = TASKS_URL + '/' + encodeURIComponent(taskType.type);

  const tab = el('button', 'tab', title);
  tab.type = 'button';
  tab.id = 'tab-' + key;
  tab.setAttribute('role', 'tab');
  tab.setAttribute('aria-controls', 'panel-' + key);

  const panel = el('div', 'tab-panel');
  panel.id = 'panel-' + key;
  panel.setAttribute('role', 'tabpanel');
  panel.setAttribute('aria-labelledby', tab.id);

  const form = el('form');
  form.id = 'form-' + key;
  form.noValidate = true;
  form.dataset.taskType = taskType.type;
  if (schema && typeof schema.description === 'string') form.appendChild(el('p', 'hint', schema.description));

  const files = taskType.acceptsFiles ? fileField(key, propertySchema(schema, FILES)) : null;
  if (files) form.appendChild(files.node);
  const inputs = buildInputFields(schema, form, { idPrefix: key, skip: files ? [FILES] : [] });
  form.appendChild(el('p', 'form-error'));
  form.lastChild.setAttribute('role', 'alert');
  form.lastChild.hidden = true;
  const submit = el('button', 'btn btn-primary', 'Start ' + lowerFirst(title));
  submit.type = 'submit';
  form.appendChild(submit);
  panel.appendChild(form);

  function clearErrors() {
    setFormError(form, '');
    inputs.fields.forEach((field) => field.showError && field.showError(''));
  }

  /** Puts the server's per-field problems next to their fields; the rest stays in the form's message. */
  function showErrors(error) {
    let first = null;
    (error.details || []).forEach((detail) => {
      const field = inputs.fields.find((f) => f.path === detail.field);
      if (field && field.showError) {
        field.showError(detail.message);
        first = first || field;
      }
    });
    setFormError(form, error.message);
    if (first) first.focus();
  }

  if (files) {
    files.input.addEventListener('change', () => {
      setFormError(form, '');
      files.show();
    });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    if (!form.reportValidity()) return;
    let input;
    try {
      input = inputs.read();
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      error.field.showError(error.message);
      error.field.focus();
      return;
    }
    const chosen = files ? files.files() : [];
    if (files && files.required && chosen.length === 0) {
      setFormError(form, files.multiple ? 'Choose at least one file.' : 'Choose a file.');
      files.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      let view;
      if (chosen.length > 0) {
        if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
          throw new Error('With files, the input must be a JSON object.');
        }
        const body = new FormData();
        // The values before the files: the server reads the parts in order.
        if (input && Object.keys(input).length > 0) body.append('input', JSON.stringify(input));
        chosen.forEach((file) => {
          body.append(FILES, file, file.name);
        });
        files.progress(0);
        view = await upload(url, body, files.progress);
      } else {
        const init = {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(input === undefined ? {} : input),
        };
        view = (await api(url, init)).body;
      }
      form.reset();
      if (files) files.show();
      submitted(view, title);
    } catch (error) {
      showErrors(error);
    } finally {
      submit.disabled = false;
      if (files) files.progress(null);
    }
  });

  return { tab: tab, panel: panel };
}

export function setupForms() {
  const tabList = $('task-tabs');
  const container = $('task-forms');
  if (data.taskTypes.length === 0) {
    tabList.hidden = true;
    $('no-task-types').hidden = false;
    return;
  }
  const tabs = data.taskTypes.map((taskType) => {
    const { tab, panel } = taskForm(taskType);
    tabList.appendChild(tab);
    container.appendChild(panel);
    return tab;
  });
  setupTabs(tabs);
}
