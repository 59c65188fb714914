/**
 * ui.js — small page helpers shared by the chat page and the moderator console.
 *
 * Owns: showing a field's error beside it (`<input id=X>` → `<p id=X-error>`), a notice line
 * (text, kind: info | warn | error | rejected), a screen-reader announcer (a polite live region
 * that keeps its last three lines), and the text of an error frame. Text only, never HTML.
 */

import { el, setText } from './dom.js';

/** Show `message` as the error of `input` (or clear it when empty); true when there is none. */
export function showFieldError(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (error) {
    setText(error, message);
    error.hidden = !message;
  }
  return !message;
}

/** Show `text` in the notice node `node` (hide it when empty); `kind` styles it. */
export function showNotice(node, text, kind = 'info') {
  setText(node, text);
  node.dataset.kind = kind;
  node.hidden = !text;
}

/** Say `text` through the polite live region `announcer` (keeps the last three lines). */
export function announce(announcer, text) {
  announcer.append(el('p', { text }));
  while (announcer.childElementCount > 3) announcer.firstElementChild.remove();
}

/** The human message of an error frame, else its code. */
export function errorText(frame) {
  return typeof frame.message === 'string' && frame.message ? frame.message : String(frame.code || 'error');
}
