// Toasts and the connection indicator.
import { $, el, part } from './dom.js';

export function toast(message, kind) {
  const toasts = $('toasts');
  const node = el('div', 'toast toast-' + (kind || 'info'));
  // The container is a polite live region; an error interrupts.
  if (kind === 'error') node.setAttribute('role', 'alert');
  node.appendChild(el('span', 'toast-text', message));
  const close = el('button', 'toast-close', '\u00d7');
  close.type = 'button';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => {
    node.remove();
  });
  node.appendChild(close);
  toasts.appendChild(node);
  // A burst of actions shows the latest few, not a wall of notices.
  while (toasts.children.length > 3) toasts.firstElementChild.remove();
  setTimeout(
    () => {
      node.remove();
    },
    kind === 'error' ? 8000 : 4000,
  );
}

export function setConnection(state, label) {
  const connection = $('connection');
  connection.dataset.state = state;
  part(connection, 'label').textContent = label;
}
