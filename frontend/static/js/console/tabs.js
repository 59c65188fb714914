/**
 * console/tabs.js — the console's sections (queue, audit log, delete & mute) as an ARIA tab
 * list (arrows, Home, End), and the keyboard-shortcuts help dialog.
 */

import { byId } from '../dom.js';

const ORDER = ['queue', 'audit', 'tools'];

export class Tabs {
  #tabs;
  #panels;
  #onSelect;
  #help;
  #helpClose;
  #focusBeforeHelp = null;
  current = 'queue';

  /** `onSelect(name)` runs after each switch. */
  constructor(context, { onSelect }) {
    this.#onSelect = onSelect;
    this.#tabs = Object.fromEntries(ORDER.map((name) => [name, byId(`tab-${name}`)]));
    this.#panels = Object.fromEntries(ORDER.map((name) => [name, byId(`${name}-panel`)]));
    this.#help = byId('help-dialog');
    this.#helpClose = byId('help-close');
    for (const name of ORDER) {
      this.#tabs[name].addEventListener('click', () => this.select(name));
      this.#tabs[name].addEventListener('keydown', (event) => this.#onKey(name, event));
    }
    byId('help-button').addEventListener('click', () => this.openHelp());
    this.#helpClose.addEventListener('click', () => this.closeHelp());
    this.#help.addEventListener('close', () => {
      const back = this.#focusBeforeHelp;
      if (back instanceof HTMLElement && document.contains(back)) back.focus();
      this.#focusBeforeHelp = null;
    });
  }

  get helpOpen() { return this.#help.open; }

  select(name, { focus = false } = {}) {
    this.current = name;
    for (const tab of ORDER) {
      const on = tab === name;
      this.#tabs[tab].setAttribute('aria-selected', String(on));
      this.#tabs[tab].tabIndex = on ? 0 : -1;
      this.#panels[tab].hidden = !on;
    }
    if (focus) this.#tabs[name].focus();
    this.#onSelect(name);
  }

  /** Focus the tab of `name` (the current one by default). */
  focusCurrent(name = this.current) {
    this.#tabs[name].focus();
  }

  #onKey(name, event) {
    const at = ORDER.indexOf(name);
    const rtl = document.documentElement.dir === 'rtl';
    const forward = rtl ? 'ArrowLeft' : 'ArrowRight';
    const backward = rtl ? 'ArrowRight' : 'ArrowLeft';
    let next = null;
    if (event.key === forward) next = ORDER[(at + 1) % ORDER.length];
    else if (event.key === backward) next = ORDER[(at + ORDER.length - 1) % ORDER.length];
    else if (event.key === 'Home') next = ORDER[0];
    else if (event.key === 'End') next = ORDER[ORDER.length - 1];
    if (next) {
      event.preventDefault();
      this.select(next, { focus: true });
    }
  }

  openHelp() {
    this.#focusBeforeHelp = document.activeElement;
    this.#help.showModal();
    this.#helpClose.focus();
  }

  closeHelp() {
    this.#help.close();
  }
}
