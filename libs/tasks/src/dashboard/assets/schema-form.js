// Form fields from a task's input JSON Schema (draft 2020-12, as the validator wrote it):
// strings, numbers, booleans, enums, lists of strings or numbers, nested objects; anything
// else gets a JSON field of its own. The browser checks what HTML can (required, bounds,
// lengths); the server's validator has the last word, and its answer is shown at the field.
import { el } from './dom.js';

/** A value the user typed that cannot be sent: shown at its field. */
export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/** `outputName` -> `Output name`, `create-zip` -> `Create zip`; acronyms stay as they are. */
export function humanize(name) {
  const words = String(name)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .filter(Boolean)
    .map((word) => (word === word.toUpperCase() ? word : word.toLowerCase()));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Follows a local `$ref` (`#/$defs/...`), keeping the referring schema's own title and description. */
function resolve(schema, root) {
  let current = schema;
  for (let depth = 0; current && typeof current.$ref === 'string'; depth++) {
    const match = /^#\/\$defs\/([^/]+)$/.exec(current.$ref);
    const target = match && root.$defs ? root.$defs[match[1].replace(/~1/g, '/').replace(/~0/g, '~')] : null;
    if (!target || depth > 16) return null;
    const { $ref: _ref, ...own } = current;
    current = Object.assign({}, target, own);
  }
  return current && typeof current === 'object' ? current : null;
}

/** `anyOf`/`oneOf`: without their `null` branch (an optional field), else the first branch a field can show. */
function simplify(schema, root) {
  const resolved = resolve(schema, root);
  if (!resolved) return null;
  const branches = resolved.anyOf || resolved.oneOf;
  if (!Array.isArray(branches)) return resolved;
  const options = branches.map((branch) => simplify(branch, root)).filter((b) => b && b.type !== 'null');
  const pick = options.find((branch) => kindOf(branch) !== 'json');
  if (!pick) return resolved;
  const own = {};
  for (const key of ['title', 'description', 'default', 'examples']) if (key in resolved) own[key] = resolved[key];
  return Object.assign({}, pick, own);
}

function typeOf(schema) {
  const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : [schema.type];
  return types.length === 1 ? types[0] : undefined;
}

function isScalar(value) {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function kindOf(schema) {
  if ('const' in schema && isScalar(schema.const)) return 'enum';
  if (Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.every(isScalar)) return 'enum';
  const type = typeOf(schema);
  if (type === 'string') return 'string';
  if (type === 'number' || type === 'integer') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'object' && schema.properties && typeof schema.properties === 'object') return 'object';
  if (type === 'array' && schema.items && !Array.isArray(schema.items)) {
    const items = schema.items;
    if (Array.isArray(items.enum) && items.enum.every(isScalar)) return 'choices';
    const itemType = typeOf(items);
    if (itemType === 'string' || itemType === 'number' || itemType === 'integer') return 'list';
  }
  return 'json';
}

function enumValues(schema) {
  return 'const' in schema ? [schema.const] : schema.enum;
}

// ------------------------------------------------------------ field shells

function describe(control, field, hintText) {
  const ids = [];
  if (hintText) {
    const hint = el('p', 'field-hint', hintText);
    hint.id = field.id + '-hint';
    field.node.appendChild(hint);
    ids.push(hint.id);
  }
  const error = el('p', 'field-error');
  error.id = field.id + '-error';
  error.hidden = true;
  field.node.appendChild(error);
  ids.push(error.id);
  control.setAttribute('aria-describedby', ids.join(' '));
  field.showError = (message) => {
    error.textContent = message || '';
    error.hidden = !message;
    if (message) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  };
  field.focus = () => control.focus();
}

function labelFor(id, text, optional) {
  const label = el('label', null, text);
  label.htmlFor = id;
  if (optional) {
    label.appendChild(document.createTextNode(' '));
    label.appendChild(el('span', 'optional', 'optional'));
  }
  return label;
}

function joinHint(...parts) {
  return parts.filter(Boolean).join(' ');
}

// ------------------------------------------------------------ fields by kind

function stringControl(schema, id) {
  const input = document.createElement('input');
  input.type = { email: 'email', uri: 'url', url: 'url', date: 'date' }[schema.format] || 'text';
  if (typeof schema.minLength === 'number') input.minLength = schema.minLength;
  if (typeof schema.maxLength === 'number') input.maxLength = schema.maxLength;
  if (Array.isArray(schema.examples) && isScalar(schema.examples[0])) input.placeholder = String(schema.examples[0]);
  if (typeof schema.default === 'string') input.defaultValue = schema.default;
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.id = id;
  return { control: input, read: () => (input.value === '' ? undefined : input.value) };
}

function numberControl(schema, id) {
  const input = document.createElement('input');
  const integer = typeOf(schema) === 'integer';
  input.type = 'number';
  input.inputMode = integer ? 'numeric' : 'decimal';
  const min = typeof schema.minimum === 'number' ? schema.minimum : schema.exclusiveMinimum;
  const max = typeof schema.maximum === 'number' ? schema.maximum : schema.exclusiveMaximum;
  if (typeof min === 'number') input.min = String(integer && min === schema.exclusiveMinimum ? min + 1 : min);
  if (typeof max === 'number') input.max = String(integer && max === schema.exclusiveMaximum ? max - 1 : max);
  input.step = typeof schema.multipleOf === 'number' ? String(schema.multipleOf) : integer ? '1' : 'any';
  if (typeof schema.default === 'number') input.defaultValue = String(schema.default);
  input.id = id;
  return { control: input, read: () => (input.value === '' ? undefined : input.valueAsNumber) };
}

function enumControl(schema, id, optional) {
  const select = document.createElement('select');
  const values = enumValues(schema);
  const hasDefault = values.some((value) => value === schema.default);
  if (optional || !hasDefault) {
    // An empty choice: "leave it to the task" when optional, "pick one" (and invalid) when required.
    const empty = el('option', null, optional ? '—' : 'Choose…');
    empty.value = '';
    select.appendChild(empty);
  }
  values.forEach((value, i) => {
    const option = el('option', null, value === '\t' ? 'Tab' : String(value));
    option.value = String(i);
    option.defaultSelected = value === schema.default;
    select.appendChild(option);
  });
  select.id = id;
  return { control: select, read: () => (select.value === '' ? undefined : values[Number(select.value)]) };
}

function choicesControl(schema, id) {
  const select = document.createElement('select');
  select.multiple = true;
  const values = schema.items.enum;
  const defaults = Array.isArray(schema.default) ? schema.default : [];
  values.forEach((value, i) => {
    const option = el('option', null, String(value));
    option.value = String(i);
    option.defaultSelected = defaults.includes(value);
    select.appendChild(option);
  });
  select.size = Math.min(values.length, 6);
  select.id = id;
  const read = () => {
    const chosen = Array.from(select.selectedOptions).map((option) => values[Number(option.value)]);
    return chosen.length ? chosen : undefined;
  };
  return { control: select, read: read };
}

function listControl(schema, id) {
  const textarea = document.createElement('textarea');
  const numeric = typeOf(schema.items) !== 'string';
  textarea.rows = 3;
  textarea.spellcheck = false;
  if (Array.isArray(schema.default)) textarea.defaultValue = schema.default.join('\n');
  textarea.id = id;
  const read = () => {
    const lines = textarea.value
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    return lines.length ? lines.map((line) => (numeric ? Number(line) : line)) : undefined;
  };
  return { control: textarea, read: read };
}

function jsonControl(schema, id, field) {
  const textarea = document.createElement('textarea');
  textarea.className = 'json-input';
  textarea.rows = 4;
  textarea.spellcheck = false;
  if (schema && 'default' in schema) textarea.defaultValue = JSON.stringify(schema.default, null, 2);
  textarea.id = id;
  const read = () => {
    if (textarea.value.trim() === '') return undefined;
    try {
      return JSON.parse(textarea.value);
    } catch (_error) {
      throw new FieldError(field, 'Not valid JSON');
    }
  };
  return { control: textarea, read: read };
}

const CONTROLS = {
  string: stringControl,
  number: numberControl,
  enum: enumControl,
  choices: choicesControl,
  list: listControl,
};

/**
 * One property's field. `path` names it in the server's error details (`a.b`);
 * its value is undefined when left empty, so the task's default applies.
 */
function buildField(name, rawSchema, required, context) {
  const schema = simplify(rawSchema, context.root) || {};
  const path = context.path.concat(name);
  const id = context.idPrefix + '--' + path.join('--');
  const title = typeof schema.title === 'string' && schema.title ? schema.title : humanize(name);
  const description = typeof schema.description === 'string' ? schema.description : '';
  const kind = kindOf(schema);
  const field = { id: id, path: path.join('.'), node: null };

  if (kind === 'object') {
    const group = el('fieldset', 'field-group');
    group.appendChild(el('legend', null, title));
    if (description) group.appendChild(el('p', 'field-hint', description));
    const inner = buildFields(schema, group, Object.assign({}, context, { path: path }));
    field.node = group;
    field.children = inner.fields;
    field.read = () => {
      const value = inner.read();
      return Object.keys(value).length === 0 && !required ? undefined : value;
    };
    return field;
  }

  const hasDefault = 'default' in schema;
  const optional = !required && !hasDefault;
  if (kind === 'boolean') {
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.id = id;
    input.defaultChecked = schema.default === true;
    field.node = el('div', 'field field-check');
    field.node.appendChild(input);
    field.node.appendChild(labelFor(id, title, false));
    describe(input, field, description);
    // Unticked and optional without a default: left out, like an empty text field.
    field.read = () => (input.checked ? true : required || hasDefault ? false : undefined);
    return field;
  }

  const build = CONTROLS[kind] || ((s, i) => jsonControl(s, i, field));
  const { control, read } = build(schema, id, optional);
  control.name = path.join('.');
  if (required && kind !== 'json') control.required = true;
  field.node = el('div', 'field' + (kind === 'number' || kind === 'enum' ? '' : ' field-wide'));
  field.node.appendChild(labelFor(id, title, optional));
  field.node.appendChild(control);
  const extra = kind === 'list' ? 'One per line.' : kind === 'json' ? 'JSON.' : '';
  describe(control, field, joinHint(description, extra));
  field.read = () => {
    const value = read();
    if (value === undefined && required && kind === 'json') throw new FieldError(field, 'Required');
    return value;
  };
  return field;
}

/**
 * Appends a field for each property of an object schema to `container`
 * (`skip` names properties the caller renders itself, such as `files`).
 * Returns the fields, flat, and `read()`, the object they make.
 */
function buildFields(schema, container, context) {
  const required = Array.isArray(schema.required) ? schema.required : [];
  const grid = el('div', 'fields');
  const fields = [];
  const built = [];
  Object.keys(schema.properties).forEach((name) => {
    if (context.path.length === 0 && context.skip.includes(name)) return;
    const field = buildField(name, schema.properties[name], required.includes(name), context);
    grid.appendChild(field.node);
    built.push([name, field]);
    fields.push(field);
    if (field.children) fields.push(...field.children);
  });
  if (built.length) container.appendChild(grid);
  const read = () => {
    const value = {};
    built.forEach(([name, field]) => {
      const v = field.read();
      if (v !== undefined) value[name] = v;
    });
    return value;
  };
  return { fields: fields, read: read };
}

/**
 * The fields of a task type's form, in `container`. A schema that is not an
 * object with properties (or no schema at all) gets one JSON field for the
 * whole input. `read()` throws a {@link FieldError} for a value it cannot send.
 */
export function buildInputFields(schema, container, options) {
  const root = schema ? simplify(schema, schema) : null;
  if (root && kindOf(root) === 'object') {
    return buildFields(root, container, { root: schema, path: [], idPrefix: options.idPrefix, skip: options.skip });
  }
  // Only the default is kept: the schema is the task's, not one of a field.
  const whole = { title: 'Input', description: 'The whole input of the task.' };
  if (root && 'default' in root) whole.default = root.default;
  const field = buildField('input', whole, false, { root: {}, path: [], idPrefix: options.idPrefix, skip: [] });
  field.path = '(root)';
  const grid = el('div', 'fields');
  grid.appendChild(field.node);
  container.appendChild(grid);
  return { fields: [field], read: () => field.read(), whole: true };
}

/** A field's schema as seen by the form: `files` of a task that takes files, say. */
export function propertySchema(schema, name) {
  const root = schema ? simplify(schema, schema) : null;
  const property = root && root.properties ? simplify(root.properties[name], schema) : null;
  return {
    schema: property,
    required: Boolean(root && Array.isArray(root.required) && root.required.includes(name)),
  };
}
