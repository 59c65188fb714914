/**
 * console/audit.js — the audit log screen: every decision, newest first, page by page, with
 * the live ones prepended; an approved message can be deleted from here.
 */

import { byId, el, nameNode, timeNode } from '../dom.js';
import { t } from '../i18n.js';
import { LIMITS } from './rules.js';

export class AuditScreen {
  #context;
  #onDeleteRequest;
  #ui;
  #entries = [];
  #after = null;
  #hasMore = false;
  #loaded = false;
  #loading = false;
  #generation = 0;

  /** `onDeleteRequest(room, messageId)` opens the delete form. */
  constructor(context, { onDeleteRequest }) {
    this.#context = context;
    this.#onDeleteRequest = onDeleteRequest;
    this.#ui = {
      refresh: byId('audit-refresh'),
      body: byId('audit-body'),
      empty: byId('audit-empty'),
      more: byId('audit-more'),
    };
    this.#ui.more.addEventListener('click', () => this.#request());
    this.#ui.refresh.addEventListener('click', () => {
      this.reset();
      this.#request();
    });
  }

  reset() {
    this.#ui.body.replaceChildren();
    this.#entries = [];
    this.#generation += 1;
    this.#loading = false;
    this.#after = null;
    this.#hasMore = false;
    this.#loaded = false;
    this.#renderFoot();
  }

  /** The audit tab opened: load the first page once. */
  loadIfNeeded() {
    if (!this.#loaded) this.#request();
  }

  /** After a sign-in: reload if it was ever loaded or is on screen. */
  reloadIfShown(onScreen) {
    if (this.#loaded || onScreen) {
      this.reset();
      this.#request();
    }
  }

  async #request() {
    if (!this.#context.isSignedIn() || this.#loading) return;
    const generation = this.#generation;
    const frame = { action: 'mod.audit', limit: LIMITS.pageSize };
    if (this.#after) frame.after = this.#after;
    this.#loading = true;
    this.#renderFoot();
    let reply;
    try {
      reply = await this.#context.ask(frame, {
        prefix: 'au', onPartial: (part) => { if (generation === this.#generation) this.#addPage(part); },
      });
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#loading = false;
      this.#context.notice(t('audit.loadFailed', { message: this.#context.unanswered(err, 'console.notConnected') }), 'error');
      this.#renderFoot();
      return;
    }
    if (generation !== this.#generation) return;
    this.#loading = false;
    if (reply.type === 'error') {
      this.#context.notice(t('audit.loadFailed', { message: reply.message || reply.code }), 'error');
    } else {
      this.#addPage(reply);
      this.#loaded = true;
      this.#hasMore = Boolean(reply.hasMore);
    }
    this.#renderFoot();
  }

  #addPage(frame) {
    const entries = Array.isArray(frame.entries) ? frame.entries.filter((e) => e && typeof e === 'object') : [];
    for (const entry of entries) {
      if (this.#has(entry)) continue;
      this.#entries.push(entry);
      this.#ui.body.append(this.#row(entry));
    }
    if (entries.length > 0) this.#after = String(entries[entries.length - 1].entryId);
  }

  #has(entry) {
    const id = String(entry.entryId || '');
    return this.#entries.some((known) => String(known.entryId || '') === id);
  }

  /** A decision made now (by anyone): on top, if the log is loaded. */
  prepend(entry) {
    if (!this.#loaded || this.#has(entry)) return;
    this.#entries.unshift(entry);
    this.#ui.body.prepend(this.#row(entry));
    this.#renderFoot();
  }

  #row(entry) {
    const target = [];
    if (typeof entry.user === 'string' && entry.user) target.push(nameNode(entry.user, 'audit-user'));
    if (entry.action === 'mute' && entry.until) target.push(` ${t('audit.until')} `, timeNode(entry.until));
    if (typeof entry.messageId === 'string' && entry.messageId) {
      if (target.length) target.push(' ');
      target.push(el('span', { className: 'flag-id', text: entry.messageId }));
      if (entry.action === 'approve') {
        const remove = el('button', { className: 'link-button', text: t('audit.delete'), attrs: { type: 'button' } });
        remove.addEventListener('click', () => this.#onDeleteRequest(entry.room, entry.messageId));
        target.push(' ', remove);
      }
    }
    const action = String(entry.action || '');
    const known = ['approve', 'reject', 'delete', 'mute', 'unmute', 'signin'].includes(action);
    return el('tr', { dataset: { entryId: String(entry.entryId || ''), action } }, [
      el('td', {}, [timeNode(entry.at)]),
      el('td', {}, [nameNode(String(entry.moderator ?? ''), 'audit-moderator')]),
      el('td', {}, [el('span', {
        className: 'audit-action', text: known ? t(`action.${action}`) : action, dataset: { action },
      })]),
      el('td', {}, [el('bdi', { text: entry.room ?? '' })]),
      el('td', {}, target),
      el('td', { text: entry.reason ?? '' }),
    ]);
  }

  #renderFoot() {
    this.#ui.empty.hidden = !this.#loaded || this.#entries.length > 0;
    this.#ui.more.hidden = !this.#hasMore;
    this.#ui.more.disabled = this.#loading;
  }

  /** Re-render every row after a language change. */
  renderAll() {
    this.#ui.body.replaceChildren(...this.#entries.map((entry) => this.#row(entry)));
  }
}
