// The caller's credential, for an API behind TASKS_AUTH (an API key or a JWT) or the host's guards: the page
// itself is public, its data is not. On a 401 the page asks for a key or token, kept for this tab only
// (sessionStorage, never a cookie), and sent as Authorization: Bearer by every call and as the socket's auth.token.
import { $, el } from './dom.js';
import { toast } from './notices.js';

const CREDENTIAL_KEY = 'stepwise.credential';
const signInListeners = [];

/** The key or token signed in with, '' if none (or no storage). */
export function credential() {
  try {
    return sessionStorage.getItem(CREDENTIAL_KEY) || '';
  } catch (_error) {
    return '';
  }
}

/** Adds `Authorization: Bearer` to a headers object when signed in; answers the same object. */
export function withCredential(headers) {
  const value = credential();
  if (value) headers.Authorization = 'Bearer ' + value;
  return headers;
}

/** `listener` runs after each sign-in: the socket reconnects, the list reloads. */
export function onSignIn(listener) {
  signInListeners.push(listener);
}

function signIn(value) {
  try {
    sessionStorage.setItem(CREDENTIAL_KEY, value);
  } catch (_error) {
    // Storage refused (private mode): nothing to sign in with.
  }
  signInListeners.forEach((listener) => {
    listener();
  });
}

function createSignInForm() {
  const form = el('form', 'panel sign-in');
  form.id = 'sign-in';
  form.noValidate = true;
  const field = el('div', 'field');
  const label = el('label', null, 'API key or token');
  label.htmlFor = 'credential';
  const input = el('input');
  input.id = 'credential';
  input.type = 'password';
  input.autocomplete = 'off';
  input.spellcheck = false;
  field.appendChild(label);
  field.appendChild(input);
  const reason = el('p', 'form-error');
  reason.setAttribute('role', 'alert');
  const submit = el('button', 'btn btn-primary', 'Sign in');
  submit.type = 'submit';
  form.appendChild(el('h2', null, 'Sign in'));
  form.appendChild(field);
  form.appendChild(reason);
  form.appendChild(submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    input.value = '';
    form.hidden = true;
    signIn(value);
  });
  const main = document.querySelector('main');
  main.parentNode.insertBefore(form, main);
  return form;
}

/** Shows the sign-in form (created once), saying why: called on any 401. */
export function askCredential(message) {
  const form = document.getElementById('sign-in') || createSignInForm();
  form.querySelector('.form-error').textContent = message || 'This API needs an API key or a token.';
  // Focus moves to the form unless the user is busy elsewhere on the page.
  if (form.hidden || !document.activeElement || document.activeElement === document.body) {
    form.hidden = false;
    $('credential').focus();
  }
}

/** A download link, fetched with the credential (a link cannot send a header), saved under its name. */
async function downloadWithCredential(href) {
  try {
    const response = await fetch(href, { headers: withCredential({}) });
    if (response.status === 401) return askCredential('The key or token was refused; sign in again.');
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename\*=UTF-8''([^;]+)|filename="([^"]+)"/i.exec(disposition);
    const name = match ? decodeURIComponent(match[1] || match[2]) : 'download';
    const url = URL.createObjectURL(await response.blob());
    const link = el('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => {
      URL.revokeObjectURL(url);
    }, 60000);
  } catch (error) {
    toast('The download failed: ' + error.message, 'error');
  }
}

/** Download links (`…/download`) go through downloadWithCredential while signed in; plain links otherwise. */
export function setupCredentialDownloads() {
  document.addEventListener('click', (event) => {
    const link = event.target && event.target.closest ? event.target.closest('a[href]') : null;
    if (!link || !credential() || !/\/download$/.test(link.getAttribute('href') || '')) return;
    event.preventDefault();
    downloadWithCredential(link.href);
  });
}
