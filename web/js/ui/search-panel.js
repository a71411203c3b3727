// Message search: a search field and its results (GET /v1/search), across
// all chats (above the chat list) or in one chat (in the chat's header).
// A result shows the chat, the sender, the time and the text with the
// matching words marked; choosing it calls onPick(chatId, seq).
// User text only ever reaches the page as text nodes (no innerHTML).

import { h, setChildren } from './dom.js';
import { formatListTime, formatFull } from './format.js';
import { icon } from './icons.js';

const DEBOUNCE_MS = 250;
const PAGE = 20;
const MAX_QUERY_BYTES = 256;

// Words as the server splits them: runs of letters and digits (any script).
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The query's words, lower-cased; the last one is matched as a prefix. */
export function queryWords(q) {
  return (q.match(WORD) ?? []).map((w) => w.toLowerCase());
}

/**
 * `text` as strings and <mark> elements: each word of the text that is one
 * of `words` (or starts with the last of them) is marked.
 */
export function highlighted(text, words) {
  if (!words.length) return [text];
  const whole = new Set(words.slice(0, -1));
  const prefix = words[words.length - 1];
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(WORD)) {
    const word = match[0].toLowerCase();
    let length = 0;
    if (whole.has(word)) length = match[0].length;
    else if (word.startsWith(prefix)) length = word === prefix ? match[0].length : prefixLength(match[0], prefix);
    else continue;
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(h('mark', {}, match[0].slice(0, length)));
    last = match.index + length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

// How many UTF-16 units of `word` its lower-cased prefix `prefix` covers.
function prefixLength(word, prefix) {
  for (let n = 1; n <= word.length; n++) {
    if (word.slice(0, n).toLowerCase().length >= prefix.length) return n;
  }
  return word.length;
}

export class SearchPanel {
  /**
   * @param {object} o
   * @param {object} o.store
   * @param {object} o.client  its `api.search(q, {chatId, before, limit})`
   * @param {string|null} o.chatId  search this chat only; null: every chat
   * @param {(chatId: string, seq: number) => void} o.onPick
   * @param {(active: boolean) => void} [o.onActive]  results shown or hidden
   */
  constructor({ store, client, chatId = null, onPick, onActive = () => {} }) {
    Object.assign(this, { store, client, chatId, onPick, onActive });
    this.generation = 0; // answers to an older query are dropped
    this.next = null;
    this.query = '';
    this.input = h('input', {
      type: 'search',
      class: 'search-input',
      placeholder: chatId ? 'Search in this chat' : 'Search messages',
      'aria-label': chatId ? 'Search in this chat' : 'Search messages',
      'aria-controls': chatId ? 'chat-search-results' : 'search-results',
      autocomplete: 'off',
      enterkeyhint: 'search',
      dir: 'auto',
      'data-testid': chatId ? 'chat-search-input' : 'search-input',
      on: {
        input: () => this.schedule(),
        keydown: (e) => this.onKey(e),
      },
    });
    this.status = h('p', { class: 'search-status muted small', role: 'status', 'data-testid': 'search-status' });
    this.list = h('ul', { class: 'search-results', id: chatId ? 'chat-search-results' : 'search-results', 'data-testid': 'search-results' });
    this.moreBtn = h('button', { type: 'button', class: 'btn subtle small', hidden: true, 'data-testid': 'search-more', on: { click: () => this.more() } }, 'More results');
    this.results = h('div', { class: 'search-panel', hidden: true }, this.status, this.list, this.moreBtn);
    this.field = h('div', { class: 'search-field', role: 'search' },
      h('span', { class: 'search-icon', 'aria-hidden': 'true' }, icon('search', { size: 16 })),
      this.input);
  }

  get active() {
    return !this.results.hidden;
  }

  focus() {
    this.input.focus();
  }

  clear() {
    this.input.value = '';
    this.reset();
  }

  onKey(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.clear();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(this.timer);
      this.run();
    } else if (e.key === 'ArrowDown' && this.list.firstElementChild) {
      e.preventDefault();
      this.list.querySelector('button')?.focus();
    }
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  reset() {
    clearTimeout(this.timer);
    this.generation++;
    this.query = '';
    this.next = null;
    setChildren(this.list);
    this.results.hidden = true;
    this.onActive(false);
  }

  async run() {
    const q = this.input.value.trim();
    if (q === this.query && this.active) return;
    if (!queryWords(q).length) {
      this.reset();
      return;
    }
    this.query = q;
    this.next = null;
    setChildren(this.list);
    this.results.hidden = false;
    this.onActive(true);
    if (new TextEncoder().encode(q).length > MAX_QUERY_BYTES) {
      this.showStatus('That is too long to search for.');
      return;
    }
    await this.fetchPage();
  }

  async more() {
    if (this.next) await this.fetchPage();
  }

  async fetchPage() {
    const generation = ++this.generation;
    const first = !this.next;
    this.moreBtn.disabled = true;
    this.showStatus(first ? 'Searching…' : '');
    let page;
    try {
      page = await this.client.api.search(this.query, { chatId: this.chatId, before: this.next ?? undefined, limit: PAGE });
    } catch (e) {
      if (generation !== this.generation) return;
      this.showStatus(`Search failed: ${e.message}`);
      this.moreBtn.disabled = false;
      return;
    }
    if (generation !== this.generation) return;
    const words = queryWords(this.query);
    for (const m of page.results) this.list.append(this.row(m, words));
    this.next = page.next;
    this.moreBtn.hidden = !this.next;
    this.moreBtn.disabled = false;
    const count = this.list.children.length;
    this.showStatus(count ? `${count}${this.next ? '+' : ''} ${count === 1 ? 'message' : 'messages'} found` : 'No messages found');
  }

  showStatus(text) {
    this.status.textContent = text;
  }

  row(m, words) {
    const chat = this.store.chat(m.chat_id);
    const chatName = chat ? this.store.title(chat) : 'Chat';
    const sender = m.sender_id === this.store.me ? 'You' : this.store.userName(m.sender_id, chat);
    const label = `${this.chatId ? '' : `${chatName}, `}${sender}, ${formatFull(m.ts)}: ${m.text}`;
    return h('li', {},
      h('button', {
        type: 'button',
        class: 'search-result',
        'aria-label': label,
        'data-testid': 'search-result',
        dataset: { chatId: m.chat_id, seq: String(m.seq) },
        on: { click: () => this.onPick(m.chat_id, m.seq), keydown: (e) => this.onResultKey(e) },
      },
      h('span', { class: 'row' },
        this.chatId ? null : h('span', { class: 'search-chat', dir: 'auto', 'data-testid': 'search-chat' }, chatName),
        h('time', { class: 'chat-time', datetime: new Date(m.ts).toISOString(), title: formatFull(m.ts) }, formatListTime(m.ts))),
      h('span', { class: 'search-text', dir: 'auto' },
        h('bdi', { class: 'search-sender', 'data-testid': 'search-sender' }, sender), ': ',
        h('span', { 'data-testid': 'search-snippet' }, highlighted(m.text, words)))));
  }

  onResultKey(e) {
    const items = [...this.list.querySelectorAll('button.search-result')];
    const i = items.indexOf(e.target);
    if (e.key === 'ArrowDown' && i < items.length - 1) items[i + 1].focus();
    else if (e.key === 'ArrowUp') (i > 0 ? items[i - 1] : this.input).focus();
    else return;
    e.preventDefault();
  }
}
