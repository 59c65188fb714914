/**
 * console/tools.js — the "Delete & mute" screen: the delete and mute forms, this session's
 * deletions and mutes, and who is muted where (shown as a badge on their queue items).
 */

import { byId, el, formatNumber, nameNode, setText, timeNode } from '../dom.js';
import { t } from '../i18n.js';
import { checkName, checkRoom } from '../prefs.js';
import { errorText, showFieldError } from '../ui.js';
import { LIMITS, checkReason, isMessageId, parseMinutes } from './rules.js';

function setResult(node, text, kind) {
  setText(node, text);
  node.dataset.kind = kind;
}

export class ToolsScreen {
  #context;
  #ui;
  /** `${room}\n${user}` -> mute end (epoch ms) */
  #mutes = new Map();
  onMutesChanged = () => {};

  constructor(context) {
    this.#context = context;
    this.#ui = {
      deleteForm: byId('delete-form'),
      deleteRoom: byId('delete-room'),
      deleteMessage: byId('delete-message'),
      deleteReason: byId('delete-reason'),
      deleteResult: byId('delete-result'),
      muteForm: byId('mute-form'),
      muteRoom: byId('mute-room'),
      muteUser: byId('mute-user'),
      muteMinutes: byId('mute-minutes'),
      muteReason: byId('mute-reason'),
      muteResult: byId('mute-result'),
      actionList: byId('action-list'),
      actionEmpty: byId('action-empty'),
    };
    this.#ui.deleteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submitDelete();
    });
    this.#ui.muteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submitMute();
    });
  }

  openDelete(room, messageId) {
    const ui = this.#ui;
    this.#context.tabs.select('tools');
    ui.deleteRoom.value = room || '';
    ui.deleteMessage.value = messageId || '';
    setResult(ui.deleteResult, '', 'info');
    ui.deleteReason.focus();
  }

  openMute(room, user) {
    const ui = this.#ui;
    this.#context.tabs.select('tools');
    ui.muteRoom.value = room || '';
    ui.muteUser.value = user || '';
    setResult(ui.muteResult, '', 'info');
    ui.muteMinutes.focus();
    ui.muteMinutes.select();
  }

  async #submitDelete() {
    const ui = this.#ui;
    const room = ui.deleteRoom.value.trim();
    const messageId = ui.deleteMessage.value.trim();
    const reason = ui.deleteReason.value.trim();
    const roomOk = showFieldError(ui.deleteRoom, checkRoom(room, t));
    const idOk = showFieldError(ui.deleteMessage, isMessageId(messageId) ? '' : t('tools.badMessageId'));
    const reasonProblem = checkReason(reason, t);
    if (!roomOk) { ui.deleteRoom.focus(); return; }
    if (!idOk) { ui.deleteMessage.focus(); return; }
    if (reasonProblem) { setResult(ui.deleteResult, reasonProblem, 'error'); ui.deleteReason.focus(); return; }
    const frame = { action: 'mod.delete', room, messageId };
    if (reason) frame.reason = reason;
    const asked = this.#context.ask(frame, { prefix: 'x' });
    setResult(ui.deleteResult, t('tools.deleting'), 'info');
    let reply;
    try {
      reply = await asked;
    } catch (err) {
      setResult(ui.deleteResult, this.#context.unanswered(err, 'tools.deleteNotSent'), 'error');
      return;
    }
    if (reply.type === 'review.resolved') this.#context.onResolved(reply, true);
    else if (reply.type === 'error') this.#onDeleteError(reply);
  }

  #onDeleteError(frame) {
    const ui = this.#ui;
    const message = errorText(frame);
    switch (frame.code) {
      case 'INVALID_ROOM':
        showFieldError(ui.deleteRoom, message);
        setResult(ui.deleteResult, '', 'info');
        ui.deleteRoom.focus();
        return;
      case 'NOT_FOUND':
        showFieldError(ui.deleteMessage, t('tools.noSuchMessage'));
        setResult(ui.deleteResult, t('tools.nothingDeleted'), 'error');
        ui.deleteMessage.focus();
        return;
      case 'NOT_PUBLISHED':
        setResult(ui.deleteResult, t('tools.notPublished'), 'error');
        return;
      case 'ALREADY_DECIDED':
        setResult(ui.deleteResult, t('tools.alreadyDone', { message }), 'error');
        return;
      default:
        if (frame.field === 'messageId') showFieldError(ui.deleteMessage, message);
        setResult(ui.deleteResult, t('tools.deleteFailed', { message }), 'error');
    }
  }

  async #submitMute() {
    const ui = this.#ui;
    const room = ui.muteRoom.value.trim();
    const user = ui.muteUser.value.trim();
    const minutes = parseMinutes(ui.muteMinutes.value);
    const reason = ui.muteReason.value.trim();
    const roomOk = showFieldError(ui.muteRoom, checkRoom(room, t));
    const userOk = showFieldError(ui.muteUser, checkName(user, t));
    const minutesOk = showFieldError(ui.muteMinutes, minutes === null
      ? t('tools.badMinutes', { max: formatNumber(LIMITS.muteMaxMinutes) }) : '');
    const reasonProblem = checkReason(reason, t);
    if (!roomOk) { ui.muteRoom.focus(); return; }
    if (!userOk) { ui.muteUser.focus(); return; }
    if (!minutesOk) { ui.muteMinutes.focus(); return; }
    if (reasonProblem) { setResult(ui.muteResult, reasonProblem, 'error'); ui.muteReason.focus(); return; }
    const frame = { action: 'mod.mute', room, user, minutes };
    if (reason) frame.reason = reason;
    const asked = this.#context.ask(frame, { prefix: 'u' });
    setResult(ui.muteResult, t(minutes === 0 ? 'tools.unmuting' : 'tools.muting'), 'info');
    let reply;
    try {
      reply = await asked;
    } catch (err) {
      setResult(ui.muteResult, this.#context.unanswered(err, 'tools.muteNotSent'), 'error');
      return;
    }
    if (reply.type === 'review.resolved') this.#context.onResolved(reply, true);
    else if (reply.type === 'error') this.#onMuteError(reply);
  }

  #onMuteError(frame) {
    const ui = this.#ui;
    const message = errorText(frame);
    const field = { INVALID_ROOM: ui.muteRoom, INVALID_NAME: ui.muteUser }[frame.code]
      || { room: ui.muteRoom, user: ui.muteUser, minutes: ui.muteMinutes }[frame.field];
    if (field) {
      showFieldError(field, message);
      field.focus();
    }
    setResult(ui.muteResult, t('tools.muteFailed', { message }), 'error');
  }

  /** A deletion, mute or unmute by anyone (`mine`: the answer to this console's own). */
  onResolved(entry, mine) {
    const ui = this.#ui;
    if (entry.action === 'delete') {
      this.#record('deleted', entry);
      if (mine) {
        setResult(ui.deleteResult, t('tools.deleted', { id: entry.messageId, room: entry.room }), 'ok');
        ui.deleteMessage.value = '';
        ui.deleteReason.value = '';
      }
    } else if (entry.action === 'mute' || entry.action === 'unmute') {
      const until = entry.action === 'mute' ? Number(entry.until) || 0 : 0;
      this.#mutes.set(`${entry.room}\n${entry.user}`, until);
      this.#record(entry.action === 'mute' ? 'muted' : 'unmuted', entry);
      if (mine) {
        setResult(ui.muteResult, entry.action === 'mute'
          ? t('tools.mutedUntil', { user: entry.user, room: entry.room, time: new Date(until).toLocaleTimeString(document.documentElement.lang) })
          : t('tools.unmuted', { user: entry.user, room: entry.room }), 'ok');
        ui.muteReason.value = '';
      }
      this.onMutesChanged();
    }
  }

  /** The session's deletions and mutes, newest first, with their state. */
  #record(kind, entry) {
    const ui = this.#ui;
    const parts = [el('span', { className: 'state-badge', text: t(`tools.state.${kind}`), dataset: { state: kind } })];
    if (kind === 'deleted') {
      parts.push(el('span', { className: 'flag-id', text: entry.messageId }), ` ${t('tools.in')} `, el('bdi', { text: entry.room }));
    } else {
      parts.push(nameNode(entry.user, 'flag-author'), ` ${t('tools.in')} `, el('bdi', { text: entry.room }));
      if (kind === 'muted' && entry.until) parts.push(` ${t('audit.until')} `, timeNode(entry.until));
    }
    parts.push(el('span', { className: 'hint', text: t('tools.by', { moderator: entry.moderator }) }));
    ui.actionList.prepend(el('li', { dataset: { state: kind } }, parts));
    while (ui.actionList.childElementCount > 50) ui.actionList.lastElementChild.remove();
    ui.actionEmpty.hidden = true;
  }

  /** The "author muted until …" badge of one queue item. */
  renderMuteBadge(entry) {
    const until = this.#mutes.get(`${entry.item.room}\n${entry.item.user}`) || 0;
    const badge = entry.row.querySelector('.flag-muted');
    if (until > Date.now()) {
      badge.replaceChildren(`${t('tools.authorMutedUntil')} `, timeNode(until));
      badge.hidden = false;
    } else {
      badge.hidden = true;
    }
  }
}
