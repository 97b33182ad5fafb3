// The REST calls of the page, with the caller's credential (credential.js); a 401 asks for one.
import { askCredential, credential, withCredential } from './credential.js';

function errorMessage(status, body) {
  if (body && typeof body.message === 'string') return body.message;
  if (body && Array.isArray(body.message)) return body.message.join('; ');
  return 'Request failed (HTTP ' + status + ')';
}

function failure(status, body) {
  const error = new Error(errorMessage(status, body));
  error.status = status;
  // Per-field problems of a 400 (`details: [{ field, message }]`), for the form to place.
  error.details = body && Array.isArray(body.details) ? body.details : [];
  return error;
}

export async function api(path, init) {
  let response;
  try {
    const headers = withCredential(Object.assign({ Accept: 'application/json' }, (init && init.headers) || {}));
    response = await fetch(path, Object.assign({}, init || {}, { headers: headers }));
  } catch (_error) {
    throw new Error('The server cannot be reached');
  }
  if (response.status === 204) return { response: response, body: null };
  let body = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.indexOf('json') !== -1) body = await response.json().catch(() => null);
  if (response.status === 401) {
    askCredential(credential() ? 'The key or token was refused: ' + errorMessage(401, body) : '');
  }
  if (!response.ok) throw failure(response.status, body);
  return { response: response, body: body };
}

/** Multipart upload with progress (fetch cannot report upload progress). */
export function upload(url, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.responseType = 'json';
    xhr.setRequestHeader('Accept', 'application/json');
    if (credential()) xhr.setRequestHeader('Authorization', 'Bearer ' + credential());
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const body = xhr.response;
      if (xhr.status === 401)
        askCredential(credential() ? 'The key or token was refused: ' + errorMessage(401, body) : '');
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(failure(xhr.status, body));
    });
    xhr.addEventListener('error', () => {
      reject(new Error('The upload failed: the server cannot be reached'));
    });
    xhr.addEventListener('abort', () => {
      reject(new Error('The upload was aborted'));
    });
    xhr.send(formData);
  });
}
