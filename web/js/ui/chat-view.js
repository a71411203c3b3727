// One open chat: header with presence or members, the message history with
// scroll-back paging, typing indicator and the composer.

import { h, reconcile, setChildren, batched } from './dom.js';
import { avatar } from './avatar.js';
import { icon } from './icons.js';
import { connectionText, formatDay, formatFull, formatPresence, formatTime, hueOf, mutedUntilText, plural, startOfDay, utf8Length } from './format.js';
import { MAX_TEXT_BYTES, checkText } from '../client.js';
import { isShown, myReaction, quoteText } from '../actions.js';
import { messageMenu, quoteBlock, reactionsRow } from './message-actions.js';
import { openMessageInfo } from './message-info.js';
import { receiptState } from '../receipts.js';
import { linkify } from './links.js';
import { isTimelineLine, timelineParts, timelineText } from '../timeline.js';
import { DELETED_NAME } from '../store.js';
import { SearchPanel } from './search-panel.js';

const NEAR_BOTTOM_PX = 80;

/** Busy without dropping the keyboard focus (a disabled button loses it). */
function busyButton(button, on) {
  button.setAttribute('aria-disabled', String(on));
  button.dataset.busy = String(on);
}
// Older history is asked for while the reader is still this far from the top,
// so that it is usually there before the wheel gets to it.
const LOAD_AHEAD_PX = 1200;
// Pages loaded on open to reach the first unread message, at most.
const UNREAD_PAGES = 20;

export class ChatView {
  /**
   * @param {object} o
   * @param {Map<string,string>} o.drafts  unsent composer text per chat
   * @param {(chatId: string) => void} o.onMembers  opens the group's dialog
   * @param {(chatId: string) => void} o.onMute  opens the mute dialog
   */
  constructor(store, client, chatId, { drafts, onMembers, onMute }) {
    Object.assign(this, { store, client, chatId, drafts, onMembers, onMute });
    this.pinned = true; // follow new messages while the user is at the bottom
    this.lastNewest = 0;
    this.mode = null; // {type: 'reply'|'edit', seq} while the composer replies to or edits a message
    this.quotes = new Map(); // seq → quoted message fetched for a reply (null while fetching)
    this.menuFor = null; // seq whose menu is open
    // The "N unread messages" divider: what was unread when the chat was opened.
    const opened = this.state;
    this.unread = opened?.readable && opened.last_seq > opened.read_seq
      ? { after: opened.read_seq, upTo: opened.last_seq, pages: 0, placed: false }
      : null;
    this.onDocClick = (e) => {
      if (this.menuFor !== null && !e.target.closest?.('.msg-menu, .msg-more')) this.closeMenu();
    };
    document.addEventListener('click', this.onDocClick);
    this.build();
    // Near the top: load the page before. The observer sees the sentinel come
    // within LOAD_AHEAD_PX of the view; onScroll and each render check too
    // (an observer does not fire again while the sentinel stays in range).
    this.olderObserver = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) this.maybeLoadOlder(); },
        { root: this.scroller, rootMargin: `${LOAD_AHEAD_PX}px 0px 0px 0px` })
      : null;
    this.olderObserver?.observe(this.topSentinel);
    this.scheduleRead = batched(() => this.updateRead());
    this.onVisibility = () => this.updateRead();
    document.addEventListener('visibilitychange', this.onVisibility);
    this.render();
  }

  destroy() {
    this.offJump?.();
    this.olderObserver?.disconnect();
    document.removeEventListener('visibilitychange', this.onVisibility);
    document.removeEventListener('click', this.onDocClick);
    this.el.remove();
  }

  get state() {
    return this.store.chat(this.chatId);
  }

  build() {
    this.titleEl = h('h2', { id: 'chat-title', class: 'chat-title', dir: 'auto', 'data-testid': 'chat-title' });
    this.subtitleEl = h('p', { class: 'chat-subtitle', 'data-testid': 'chat-subtitle' });
    this.avatarSlot = h('span', { class: 'avatar-slot' });
    this.membersBtn = h('button', { type: 'button', class: 'btn icon-btn', 'aria-label': 'Group info', title: 'Group info', on: { click: () => this.onMembers(this.chatId) } }, icon('users'));
    this.muteBtn = h('button', { type: 'button', class: 'btn icon-btn', 'data-testid': 'mute-button', on: { click: () => this.toggleMute() } });
    this.blockBtn = h('button', { type: 'button', class: 'btn icon-btn', 'data-testid': 'block-button', on: { click: () => this.toggleBlock() } }, icon('block'));
    this.muteError = h('p', { class: 'head-error', role: 'alert', 'data-testid': 'mute-error' });
    const back = h('a', { href: '#/', class: 'btn icon-btn back', 'aria-label': 'Back to chats', title: 'Back to chats' }, icon('back'));
    // Search in this chat: a field under the header, its results over the messages.
    this.search = new SearchPanel({
      store: this.store,
      client: this.client,
      chatId: this.chatId,
      onPick: (_chat, seq) => this.jumpTo(seq),
    });
    this.searchBox = h('div', { class: 'chat-search', hidden: true }, this.search.field,
      h('button', { type: 'button', class: 'btn icon-btn small', 'aria-label': 'Close search', title: 'Close search', on: { click: () => this.toggleSearch(false) } }, icon('close', { size: 16 })),
      this.search.results);
    this.searchBtn = h('button', { type: 'button', class: 'btn icon-btn', 'aria-label': 'Search in this chat', title: 'Search in this chat', 'aria-expanded': 'false', 'data-testid': 'chat-search-button', on: { click: () => this.toggleSearch() } }, icon('search'));
    this.header = h('header', { class: 'chat-head' }, back, this.avatarSlot,
      h('div', { class: 'chat-head-text' }, this.titleEl, this.subtitleEl, this.muteError), this.searchBtn, this.muteBtn, this.blockBtn, this.membersBtn);

    this.olderBtn = h('button', { type: 'button', class: 'btn subtle small', on: { click: () => this.loadOlderNow() } }, 'Load older messages');
    this.topSentinel = h('div', { class: 'older-sentinel', 'aria-hidden': 'true' });
    this.olderBox = h('div', { class: 'older' }, this.olderBtn);
    this.list = h('ol', { class: 'message-list', 'data-testid': 'message-list' });
    this.statusEl = h('div', { class: 'messages-status' });
    this.scroller = h('div', { class: 'messages', tabindex: '0', role: 'region', 'aria-label': 'Conversation history', on: { scroll: () => this.onScroll() } },
      this.topSentinel, this.olderBox, this.statusEl, this.list);
    this.jumpBtn = h('button', { type: 'button', class: 'jump', hidden: true, on: { click: () => this.scrollToBottom(true) } }, icon('down', { size: 16 }), ' New messages');

    this.typingEl = h('div', { class: 'typing', 'aria-live': 'polite', 'data-testid': 'typing' });

    this.input = h('textarea', {
      id: 'composer-input',
      rows: '1',
      dir: 'auto',
      placeholder: 'Write a message…',
      'aria-describedby': 'composer-hint composer-error',
      on: { keydown: (e) => this.onKey(e), input: () => this.onInput() },
    });
    this.input.value = this.drafts.get(this.chatId) ?? '';
    this.sendBtn = h('button', { type: 'submit', class: 'btn primary send', 'aria-label': 'Send', title: 'Send (Enter)' }, icon('send'));
    this.counter = h('span', { class: 'counter', 'aria-hidden': 'true' });
    this.composerError = h('p', { id: 'composer-error', class: 'composer-error', role: 'alert' });
    this.modeText = h('span', { class: 'mode-text', 'data-testid': 'composer-mode' });
    this.modeBar = h('div', { class: 'composer-mode', hidden: true },
      this.modeText,
      h('button', { type: 'button', class: 'btn icon-btn small', 'aria-label': 'Cancel', title: 'Cancel (Escape)', 'data-testid': 'cancel-mode', on: { click: () => this.setMode(null) } }, icon('close', { size: 16 })));
    this.composer = h('form', { class: 'composer', on: { submit: (e) => { e.preventDefault(); this.send(); } } },
      this.modeBar,
      h('label', { for: 'composer-input', class: 'sr-only' }, 'Message'),
      h('div', { class: 'composer-row' }, this.input, this.sendBtn),
      h('div', { class: 'composer-foot' },
        h('p', { id: 'composer-hint', class: 'composer-hint' }, 'Enter to send · Shift+Enter for a new line'),
        this.counter),
      this.composerError);

    // Removed or left: the history up to then stays readable until the chat is removed from the list.
    this.removeBtn = h('button', { type: 'button', class: 'btn subtle', on: { click: () => this.removeFromList() } }, 'Remove from list');
    this.removeError = h('p', { class: 'composer-error', role: 'alert', 'data-testid': 'ended-error' });
    this.removedBanner = h('div', { class: 'removed-banner', role: 'status', 'data-testid': 'ended-banner' },
      h('p', {}, 'You are no longer a member of this group.'),
      this.removeBtn,
      this.removeError);
    // The other member's account was erased: nobody is there to write to.
    this.deletedBanner = h('div', { class: 'removed-banner', role: 'status', 'data-testid': 'deleted-banner' },
      h('p', {}, 'This account was deleted.'));

    // A message request: the opener sees nothing of us until we accept or reply.
    this.requestText = h('p', { id: 'request-text' });
    this.acceptBtn = h('button', { type: 'button', class: 'btn primary small', on: { click: () => this.accept() } }, 'Accept');
    this.requestBlockBtn = h('button', { type: 'button', class: 'btn subtle small', on: { click: () => this.toggleBlock() } }, 'Block');
    this.privacyError = h('p', { class: 'composer-error', role: 'alert', 'data-testid': 'privacy-error' });
    this.requestBanner = h('div', { class: 'request-banner', role: 'region', 'aria-label': 'Message request', 'data-testid': 'request-banner' },
      this.requestText,
      h('p', { class: 'muted small' }, 'They cannot see when you are online or whether you have read their messages until you accept or reply.'),
      h('div', { class: 'request-actions' }, this.acceptBtn, this.requestBlockBtn));
    // We block the other member: no composer (the server refuses our messages to them).
    this.blockedText = h('p', {});
    this.unblockBtn = h('button', { type: 'button', class: 'btn subtle', on: { click: () => this.unblock() } }, 'Unblock');
    this.blockedBanner = h('div', { class: 'removed-banner', role: 'status', 'data-testid': 'blocked-banner' }, this.blockedText, this.unblockBtn);

    this.el = h('section', { class: 'chat', 'aria-labelledby': 'chat-title', 'data-testid': 'chat-view' },
      this.header,
      this.searchBox,
      h('div', { class: 'messages-wrap' }, this.scroller, this.jumpBtn),
      this.typingEl,
      this.requestBanner,
      this.privacyError,
      this.composer,
      this.blockedBanner,
      this.deletedBanner,
      this.removedBanner);
    this.updateLimit();
    queueMicrotask(() => this.resizeInput());
  }

  /** Focuses the composer; in a chat that ended for us, the history, which is all there is to it. */
  focusComposer() {
    const s = this.state;
    if (!s) return;
    if (s.removed) this.scroller.focus();
    else if (!this.composer.hidden) this.input.focus();
  }

  async removeFromList() {
    if (this.removeBtn.dataset.busy === 'true') return;
    this.removeError.textContent = '';
    busyButton(this.removeBtn, true);
    try {
      await this.client.removeEndedChat(this.chatId);
    } catch (err) {
      // A member again meanwhile (400): the chat event brings the composer back.
      this.removeError.textContent = `Could not remove the chat: ${err.message}`;
      busyButton(this.removeBtn, false);
    }
  }

  render() {
    this.renderHeader();
    this.renderMessages();
    this.renderTyping();
  }

  renderHeader() {
    const { store } = this;
    const s = this.state;
    if (!s) return;
    const title = store.title(s);
    this.titleEl.textContent = title;
    document.title = `${title} · Parley`;
    const peer = store.peerOf(s);
    const presence = peer ? store.shownPresence(peer) : null;
    setChildren(this.avatarSlot, avatar(peer ?? s.id, title, { presence, group: s.info.kind === 'group' }));
    // The sidebar's banner is hidden on a phone while a chat is open: the header says it too.
    this.subtitleEl.classList.toggle('connecting', !store.connected);
    if (!store.connected) {
      this.subtitleEl.textContent = connectionText(store.connection);
      this.subtitleEl.classList.remove('online');
    } else if (s.info.kind === 'group') {
      // Each name isolated: a right-to-left name must not reorder the list around it.
      const names = s.info.members.map((m) => (m.user_id === store.me ? 'you' : h('bdi', {}, store.memberName(m))));
      setChildren(this.subtitleEl, `${plural(s.info.members.length, 'member')}: `, names.flatMap((n, i) => (i ? [', ', n] : [n])));
      this.subtitleEl.classList.remove('online');
    } else {
      this.subtitleEl.textContent = formatPresence(presence);
      this.subtitleEl.classList.toggle('online', presence?.status === 'online');
    }
    // A former member sees the members as they were when they left.
    this.membersBtn.hidden = s.info.kind !== 'group' || !s.readable;
    // Searching is a member's: what ended is read by scrolling back.
    this.searchBtn.hidden = s.removed;
    if (s.removed && !this.searchBox.hidden) this.toggleSearch(false);
    this.renderMute(s);
    this.renderPrivacy(s, title);
    const blocked = store.isBlocked(s);
    const deleted = !s.removed && store.peerDeleted(s);
    this.composer.hidden = s.removed || blocked || deleted;
    this.deletedBanner.hidden = !deleted;
    this.removedBanner.hidden = !s.removed;
    this.el.dataset.ended = String(s.removed);
  }

  /** The block button, a message request's banner, and the blocked state (never shown to whom we block). */
  renderPrivacy(s, name) {
    const direct = s.info.kind === 'direct' && !s.removed && Boolean(this.store.peerOf(s)) && !this.store.peerDeleted(s);
    const blocked = direct && this.store.isBlocked(s);
    const label = blocked ? `Unblock ${name}` : `Block ${name}`;
    this.blockBtn.hidden = !direct;
    if (this.blockBtn.getAttribute('aria-label') !== label) {
      this.blockBtn.setAttribute('aria-label', label);
      this.blockBtn.title = label;
    }
    this.blockBtn.dataset.blocked = String(blocked);
    this.requestBanner.hidden = !direct || blocked || !s.request;
    if (!this.requestBanner.hidden) setChildren(this.requestText, h('strong', {}, h('bdi', {}, name)), ' wants to chat with you');
    this.blockedBanner.hidden = !blocked;
    if (blocked) setChildren(this.blockedText, 'You blocked ', h('bdi', {}, name), '.');
  }

  async accept() {
    if (this.acceptBtn.dataset.busy === 'true') return;
    this.privacyError.textContent = '';
    busyButton(this.acceptBtn, true);
    try {
      await this.client.acceptChat(this.chatId);
      this.renderHeader();
      this.input.focus();
    } catch (err) {
      this.privacyError.textContent = `Could not accept: ${err.message}`;
      this.acceptBtn.focus();
    } finally {
      busyButton(this.acceptBtn, false);
    }
  }

  /** Blocks the other member after asking, or unblocks them. */
  async toggleBlock() {
    const s = this.state;
    const peer = s ? this.store.peerOf(s) : null;
    if (!peer) return;
    if (this.store.isBlocked(s)) return this.unblock();
    const name = this.store.title(s);
    if (!window.confirm(`Block ${name}? They will not be told. You will no longer get their messages or see when they are online, and you cannot write to them until you unblock them.`)) return;
    this.privacyError.textContent = '';
    try {
      await this.client.block(peer);
      this.renderHeader();
      this.unblockBtn.focus();
    } catch (err) {
      this.privacyError.textContent = `Could not block: ${err.message}`;
    }
  }

  async unblock() {
    const s = this.state;
    const peer = s ? this.store.peerOf(s) : null;
    if (!peer || this.unblockBtn.dataset.busy === 'true') return;
    this.privacyError.textContent = '';
    busyButton(this.unblockBtn, true);
    try {
      await this.client.unblock(peer);
      this.renderHeader();
      this.input.focus();
    } catch (err) {
      this.privacyError.textContent = `Could not unblock: ${err.message}`;
    } finally {
      busyButton(this.unblockBtn, false);
    }
  }

  renderMute(s) {
    const muted = this.store.isMuted(s);
    const label = muted ? 'Unmute notifications' : 'Mute notifications';
    const sig = `${muted}|${s.muted_until}`;
    this.muteBtn.hidden = s.removed;
    if (this.muteBtn._sig === sig) return;
    this.muteBtn._sig = sig;
    this.muteBtn.setAttribute('aria-label', label);
    this.muteBtn.dataset.muted = String(muted); // the label says it; no aria-pressed on a button whose label changes
    this.muteBtn.title = muted ? `${label} (${mutedUntilText(s.muted_until)})` : label;
    setChildren(this.muteBtn, icon(muted ? 'bellOff' : 'bell'));
  }

  /** Unmutes a muted chat at once; otherwise asks for how long to mute it. */
  async toggleMute() {
    const s = this.state;
    if (!s) return;
    this.muteError.textContent = '';
    if (!this.store.isMuted(s)) return this.onMute(this.chatId);
    this.muteBtn.disabled = true;
    try {
      await this.client.unmute(this.chatId);
    } catch (err) {
      this.muteError.textContent = `Could not unmute: ${err.message}`;
    } finally {
      this.muteBtn.disabled = false;
    }
  }

  items() {
    const { store } = this;
    const s = this.state;
    const me = store.me;
    const group = s.info.kind === 'group';
    const out = [];
    let lastDay = null;
    let lastSender = null;
    const divider = this.unreadDivider();
    const push = (m, pending) => {
      const ts = pending ? m.created_at : m.ts;
      const day = startOfDay(ts);
      if (day !== lastDay) {
        out.push({ kind: 'day', key: `d:${day}`, ts });
        lastDay = day;
        lastSender = null;
      }
      if (divider && !pending && m.seq === divider.seq) {
        out.push({ kind: 'unread', key: 'unread', text: divider.text });
        lastSender = null;
      }
      const sender = pending ? me : m.sender_id;
      const mine = sender === me;
      let state = 'received';
      // A former member is told nothing more of who received or read what: no ticks.
      if (mine) state = pending ? m.state : s.removed ? 'unknown' : receiptState(s.markers, s.info.members, me, m.seq);
      out.push({
        kind: 'msg',
        key: mine && m.client_msg_id ? `c:${m.client_msg_id}` : `s:${m.seq}`,
        m,
        ts,
        mine,
        state,
        senderName: group && !mine && sender !== lastSender ? store.userName(sender, s) : null,
        sender,
        first: sender !== lastSender,
      });
      lastSender = sender;
    };
    const line = (m) => {
      const day = startOfDay(m.ts);
      if (day !== lastDay) {
        out.push({ kind: 'day', key: `d:${day}`, ts: m.ts });
        lastDay = day;
      }
      const parts = timelineParts(m.event, m.sender_id, {
        me,
        nameOf: (id) => (store.deletedUsers.has(id) ? DELETED_NAME : store.users.get(id) || null),
        isMember: (id) => s.info.members.some((x) => x.user_id === id),
      });
      if (!parts) return; // a kind of line this version does not know
      out.push({ kind: 'line', key: `s:${m.seq}`, m, parts });
      lastSender = null;
    };
    for (const m of s.sortedMessages()) {
      if (isShown(m)) push(m, false);
      else if (isTimelineLine(m)) line(m);
    }
    for (const e of this.client.outbox?.forChat(this.chatId) ?? []) if (isShown(e)) push(e, true);
    return out;
  }

  /**
   * Where the "N unread messages" divider goes: before the first message from
   * someone else that was unread when the chat was opened; {seq, text}, or
   * null (nothing unread from others, or its first message not loaded yet).
   * Only text messages count: edits, deletions and reactions are not messages.
   */
  unreadDivider() {
    const u = this.unread;
    const s = this.state;
    if (!u || !s?.loaded) return null;
    let first = null;
    let count = 0;
    for (const m of s.messages.values()) {
      if (m.seq <= u.after || m.seq > u.upTo || !isShown(m) || m.sender_id === this.store.me) continue;
      count++;
      if (first === null || m.seq < first) first = m.seq;
    }
    if (!count) return null;
    const complete = s.oldestSeq() <= u.after + 1 || !s.hasOlder;
    if (!complete && u.pages < UNREAD_PAGES) return null; // still loading up to the first unread
    return { seq: first, text: complete ? `${plural(count, 'unread message')}` : `More than ${plural(count, 'unread message')}` };
  }

  renderMessages() {
    const s = this.state;
    if (!s) return;
    const before = this.pinned ? null : this.anchor();
    const items = this.items();
    reconcile(this.list, items, {
      key: (item) => item.key,
      create: (item) => {
        if (item.kind === 'day') return h('li', { class: 'day-sep', role: 'presentation' });
        if (item.kind === 'unread') return h('li', { class: 'unread-sep', 'data-testid': 'unread-divider' });
        if (item.kind === 'line') return h('li', { class: 'timeline-line', 'data-testid': 'timeline-line' });
        return h('li', { class: 'msg' });
      },
      update: () => {},
    });
    const byKey = new Map(items.map((i) => [i.key, i]));
    for (const li of this.list.children) {
      const item = byKey.get(li.dataset.key);
      if (item.kind === 'day') this.fillDay(li, item);
      else if (item.kind === 'unread') this.fillDay(li, item);
      else if (item.kind === 'line') this.fillLine(li, item);
      else this.fillMessage(li, item);
    }
    this.olderBox.hidden = !s.loaded || !s.hasOlder;
    this.olderBtn.disabled = s.loadingOlder;
    this.olderBtn.textContent = s.loadingOlder ? 'Loading…' : 'Load older messages';
    let status = '';
    if (s.loadError) status = `Could not load messages: ${s.loadError}`;
    else if (!s.loaded && s.readable) status = 'Loading messages…';
    else if (!items.length && s.removed) status = 'No messages.';
    else if (!items.length) status = s.info.kind === 'group' ? 'No messages yet. Say hello to the group!' : 'No messages yet. Say hello!';
    this.statusEl.textContent = status;
    this.statusEl.hidden = !status;
    if (s.actionError) {
      this.composerError.textContent = s.actionError;
      this.composerError.dataset.kind = 'action';
    }

    const newest = s.newestSeq();
    const grew = newest > this.lastNewest;
    this.lastNewest = newest;
    if (this.unread && !this.unread.placed && this.placeUnread(s)) {
      // placed: the divider is at the top of the view
    } else if (this.pinned) this.scrollToBottom(false);
    else if (before) this.restore(before);
    if (grew && !this.pinned) this.jumpBtn.hidden = false;
    this.maybeLoadOlder();
    this.scheduleRead();
  }

  /**
   * On open with unread messages: loads pages back to the first unread one
   * (at most UNREAD_PAGES), then shows the divider at the top of the view.
   * Returns whether the view was placed.
   */
  placeUnread(s) {
    const u = this.unread;
    if (!s.loaded) return false;
    const divider = this.list.querySelector('li.unread-sep');
    if (divider) {
      u.placed = true;
      divider.scrollIntoView({ block: 'start', behavior: 'instant' });
      this.pinned = this.isNearBottom();
      return true;
    }
    const waiting = s.hasOlder && s.oldestSeq() > u.after + 1 && u.pages < UNREAD_PAGES;
    if (!waiting) {
      u.placed = true; // nothing unread from others after all
      return false;
    }
    if (!s.loadingOlder && !this.olderRun) {
      u.pages++;
      this.loadOlderNow();
    }
    return false;
  }

  /** Loads the page before the oldest loaded message when the reader is near the top; one request at a time. */
  maybeLoadOlder() {
    const s = this.state;
    if (!s?.loaded || !s.hasOlder || s.loadingOlder || this.olderRun) return;
    if (this.unread && !this.unread.placed) return; // placeUnread decides what loads first
    const el = this.scroller;
    const nearTop = el.scrollTop < LOAD_AHEAD_PX || el.scrollHeight <= el.clientHeight + LOAD_AHEAD_PX;
    if (!nearTop || el.clientHeight === 0) return;
    this.loadOlderNow();
  }

  loadOlderNow() {
    this.olderRun ??= this.client.loadOlder(this.chatId).finally(() => {
      this.olderRun = null;
      this.renderMessages();
    });
    return this.olderRun;
  }

  fillDay(li, item) {
    const text = item.text ?? formatDay(item.ts);
    if (li.textContent !== text) setChildren(li, h('span', {}, text));
  }

  /** A timeline line: "Ann added Cy", names isolated (they may be right-to-left). */
  fillLine(li, { m, parts }) {
    const text = timelineText(parts);
    const sig = `${text}|${m.ts}`;
    if (li._sig === sig) return;
    li._sig = sig;
    li.dataset.seq = String(m.seq);
    setChildren(li, h('span', { title: formatFull(m.ts) },
      parts.map((p) => (typeof p === 'string' ? p : h('bdi', {}, p.name)))));
  }

  /** The message a reply quotes: held, or fetched once (null while fetching). */
  quoted(seq) {
    const held = this.state?.messages.get(seq);
    if (held) return held;
    if (!this.quotes.has(seq)) {
      this.quotes.set(seq, null);
      this.client.fetchMessage(this.chatId, seq)
        .then((m) => this.quotes.set(seq, m ?? undefined))
        .catch(() => this.quotes.set(seq, undefined))
        .finally(() => this.renderMessages());
    }
    return this.quotes.get(seq);
  }

  fillMessage(li, item) {
    const { m } = item;
    const error = item.state === 'failed' ? m.error?.message ?? 'not sent' : '';
    const quoted = m.reply_to ? this.quoted(m.reply_to) : undefined;
    const menuOpen = this.menuFor !== null && this.menuFor === m.seq;
    const sig = [item.state, m.seq ?? '', item.senderName ?? '', item.first, error, m.text, m.edited_at ?? 0, m.deleted ?? false,
      JSON.stringify(m.reactions ?? []), m.reply_to ?? 0, quoted === null ? 'q?' : `${quoted?.text}|${quoted?.deleted}`, menuOpen,
      this.state.removed].join('|');
    if (li._sig === sig) return;
    li._sig = sig;
    li.className = `msg ${item.mine ? 'mine' : 'theirs'}${item.first ? ' first' : ''}`;
    li.dataset.state = item.state;
    if (m.seq) li.dataset.seq = String(m.seq);
    else delete li.dataset.seq;
    if (m.client_msg_id) li.dataset.clientMsgId = m.client_msg_id;
    li.setAttribute('data-testid', 'message');
    const who = item.mine ? 'You' : this.store.userName(item.sender, this.state);
    const stateLabel = { pending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Not sent' }[item.state];
    const stateIcon = { pending: 'clock', sent: 'check', delivered: 'checks', read: 'checks', failed: 'alert' }[item.state];
    const actionable = Boolean(m.seq) && !m.deleted && !this.state.removed;
    li.classList.toggle('deleted', Boolean(m.deleted));
    setChildren(li,
      h('div', { class: 'bubble-row' },
        h('div', { class: 'bubble' },
          item.senderName ? h('div', { class: 'sender', dir: 'auto', style: `--hue: ${hueOf(item.sender)}` }, item.senderName) : null,
          h('span', { class: 'sr-only' }, `${who}: `),
          m.reply_to ? quoteBlock(m.reply_to, quoted, quoted ? this.nameOf(quoted.sender_id) : '', (seq) => this.jumpTo(seq)) : null,
          m.deleted
            ? h('div', { class: 'text deleted', 'data-testid': 'message-text' }, 'This message was deleted')
            : h('div', { class: 'text', dir: 'auto', 'data-testid': 'message-text' }, linkify(m.text)),
          h('div', { class: 'meta' },
            m.edited_at && !m.deleted ? h('span', { class: 'edited', 'data-testid': 'edited', title: `Edited ${formatFull(m.edited_at)}` }, 'edited') : null,
            h('time', { datetime: new Date(item.ts).toISOString(), title: formatFull(item.ts) }, formatTime(item.ts)),
            stateLabel ? h('span', { class: `tick ${item.state}`, role: 'img', 'aria-label': stateLabel, title: stateLabel, 'data-testid': 'message-state' }, icon(stateIcon, { size: 14 })) : null)),
        actionable
          ? h('button', {
            type: 'button',
            class: 'msg-more',
            'aria-label': 'Message actions',
            'aria-haspopup': 'menu',
            'aria-expanded': String(menuOpen),
            'data-testid': 'message-actions',
            on: { click: () => (menuOpen ? this.closeMenu() : this.openMenu(m.seq)) },
          }, '⋯')
          : null),
      menuOpen ? this.menu(item) : null,
      m.deleted ? null : reactionsRow(m, this.store.me, (u) => this.nameOf(u), actionable ? (emoji) => this.react(m.seq, emoji) : null),
      item.state === 'failed'
        ? h('div', { class: 'msg-failed' },
          h('span', {}, `Not sent: ${error}`),
          h('button', { type: 'button', class: 'link', on: { click: () => this.client.retrySend(m.client_msg_id) } }, 'Retry'),
          h('button', { type: 'button', class: 'link', on: { click: () => this.client.discardSend(m.client_msg_id) } }, 'Delete'))
        : null);
  }

  nameOf(userId) {
    return userId === this.store.me ? 'You' : this.store.userName(userId, this.state);
  }

  // ---- message actions ----

  openMenu(seq) {
    this.menuFor = seq;
    this.renderMessages();
  }

  closeMenu(refocus = false) {
    const seq = this.menuFor;
    this.menuFor = null;
    this.renderMessages();
    if (refocus) this.list.querySelector(`li.msg[data-seq="${seq}"] .msg-more`)?.focus();
  }

  menu(item) {
    const { m } = item;
    const s = this.state;
    const admin = s.info.kind === 'group' && this.store.isAdmin(s);
    return messageMenu(item.mine, {
      current: myReaction(m, this.store.me),
      react: (emoji) => this.react(m.seq, emoji),
      reply: () => this.setMode({ type: 'reply', seq: m.seq }),
      edit: item.mine ? () => this.setMode({ type: 'edit', seq: m.seq }) : null,
      remove: item.mine || admin ? () => this.remove(m.seq) : null,
      info: item.mine && s.info.kind === 'group' ? () => openMessageInfo(this.store, this.client, this.chatId, m.seq) : null,
    }, (refocus) => this.closeMenu(refocus));
  }

  react(seq, emoji) {
    this.showProblem(this.client.react(this.chatId, seq, emoji));
  }

  remove(seq) {
    if (!window.confirm('Delete this message for everyone?')) return;
    if (this.mode?.seq === seq) this.setMode(null);
    this.showProblem(this.client.deleteMessage(this.chatId, seq));
  }

  showProblem(problem) {
    this.composerError.textContent = problem ?? '';
    this.composerError.dataset.kind = problem ? 'action' : '';
  }

  /** Replying to or editing message `seq` from the composer; null: a new message. */
  setMode(mode) {
    const wasEdit = this.mode?.type === 'edit';
    this.mode = mode;
    const m = mode ? this.state?.messages.get(mode.seq) : null;
    this.modeBar.hidden = !m;
    if (!m) {
      this.mode = null;
      if (wasEdit) this.input.value = this.drafts.get(this.chatId) ?? '';
    } else if (mode.type === 'reply') {
      setChildren(this.modeText, 'Replying to ', h('bdi', {}, this.nameOf(m.sender_id)), ': ', h('bdi', {}, quoteText(m.text, 60)));
    } else {
      this.modeText.textContent = 'Editing message';
      this.input.value = m.text;
    }
    this.resizeInput();
    this.updateLimit();
    this.input.focus();
  }

  toggleSearch(open = this.searchBox.hidden) {
    this.searchBox.hidden = !open;
    this.searchBtn.setAttribute('aria-expanded', String(open));
    if (open) this.search.focus();
    else {
      this.search.clear();
      this.searchBtn.focus();
    }
  }

  /** jumpTo(seq) once the chat's first page is here (opened from a search result). */
  jumpWhenLoaded(seq) {
    if (this.state?.loaded) {
      this.renderMessages();
      this.jumpTo(seq);
      return;
    }
    this.offJump?.();
    this.offJump = this.store.subscribe((topic, detail) => {
      if (topic !== 'messages' || (detail && detail !== this.chatId) || !this.state?.loaded) return;
      this.offJump();
      this.offJump = null;
      this.renderMessages();
      this.jumpTo(seq);
    });
  }

  /** Scrolls to message `seq`, loading older pages until it is there, and highlights it. */
  async jumpTo(seq) {
    for (let i = 0; i < 100; i++) {
      const li = this.list.querySelector(`li.msg[data-seq="${seq}"]`);
      if (li) {
        li.scrollIntoView({ block: 'center' });
        this.pinned = this.isNearBottom();
        li.classList.add('highlight');
        setTimeout(() => li.classList.remove('highlight'), 2000);
        return;
      }
      const s = this.state;
      if (!s?.hasOlder || s.oldestSeq() <= seq) return;
      await this.loadOlderNow();
    }
  }

  renderTyping() {
    const s = this.state;
    if (!s) return;
    const names = this.store.typists(s).map((id) => this.store.userName(id));
    let parts = [];
    if (names.length === 1) parts = [h('bdi', {}, names[0]), ' is typing…'];
    else if (names.length === 2) parts = [h('bdi', {}, names[0]), ' and ', h('bdi', {}, names[1]), ' are typing…'];
    else if (names.length > 2) parts = ['Several people are typing…'];
    const text = parts.map((p) => (typeof p === 'string' ? p : p.textContent)).join('');
    if (this.typingEl.textContent !== text) setChildren(this.typingEl, parts);
    this.typingEl.classList.toggle('active', Boolean(text));
  }

  // ---- scrolling and reading ----

  isNearBottom() {
    const el = this.scroller;
    return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom(smooth) {
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? 'smooth' : 'instant' });
    this.pinned = true;
    this.jumpBtn.hidden = true;
  }

  /**
   * The first message in view and its position, to keep it still while
   * content above changes. Only a message: a date separator moves up when
   * older messages of its day are put before it.
   */
  anchor() {
    const top = this.scroller.getBoundingClientRect().top;
    for (const li of this.list.children) {
      if (!li.classList.contains('msg')) continue;
      const r = li.getBoundingClientRect();
      if (r.bottom > top) return { li, offset: r.top - top };
    }
    return null;
  }

  restore({ li, offset }) {
    if (!li.isConnected) return;
    const top = this.scroller.getBoundingClientRect().top;
    this.scroller.scrollTop += li.getBoundingClientRect().top - top - offset;
  }

  onScroll() {
    this.pinned = this.isNearBottom();
    if (this.pinned) this.jumpBtn.hidden = true;
    this.maybeLoadOlder();
    this.scheduleRead();
  }

  /** Sends `read` for the newest message that is actually on screen. */
  updateRead() {
    const s = this.state;
    if (!s || !s.loaded || !s.readable || document.visibilityState !== 'visible') return;
    if (this.unread && !this.unread.placed) return; // not at the reading position yet
    const view = this.scroller.getBoundingClientRect();
    if (view.height === 0) return; // the pane is hidden (phone layout)
    // Timeline lines count: a group whose newest entry is one is read to the end.
    const msgs = this.list.querySelectorAll('li.msg[data-seq], li.timeline-line[data-seq]');
    for (let i = msgs.length - 1; i >= 0; i--) {
      const r = msgs[i].getBoundingClientRect();
      if (r.top < view.bottom - 4 && r.bottom > view.top) {
        this.client.markRead(this.chatId, Number(msgs[i].dataset.seq));
        return;
      }
    }
  }

  // ---- composer ----

  onKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    } else if (e.key === 'Escape' && this.mode) {
      e.preventDefault();
      this.setMode(null);
    } else if (e.key === 'ArrowUp' && !this.input.value && !this.mode) {
      // As in Element and Slack: Up in an empty composer edits your last message.
      const mine = this.state?.sortedMessages().filter((m) => isShown(m) && m.sender_id === this.store.me && !m.deleted);
      if (mine?.length) {
        e.preventDefault();
        this.setMode({ type: 'edit', seq: mine[mine.length - 1].seq });
      }
    }
  }

  onInput() {
    const text = this.input.value;
    if (this.mode?.type === 'edit') {
      // The edited text is not a draft of a new message.
    } else if (text) this.drafts.set(this.chatId, text);
    else this.drafts.delete(this.chatId);
    this.resizeInput();
    this.updateLimit();
    if (text.trim()) this.client.typing(this.chatId);
  }

  resizeInput() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  updateLimit() {
    const bytes = utf8Length(this.input.value);
    const over = bytes > MAX_TEXT_BYTES;
    this.counter.textContent = bytes > MAX_TEXT_BYTES * 0.8 ? `${bytes.toLocaleString()} / ${MAX_TEXT_BYTES.toLocaleString()} bytes` : '';
    this.counter.classList.toggle('over', over);
    this.sendBtn.setAttribute('aria-disabled', String(over));
    this.input.setAttribute('aria-invalid', String(over));
    const message = over ? checkText(this.input.value) : '';
    if (over || this.composerError.dataset.kind === 'limit') {
      this.composerError.textContent = message;
      this.composerError.dataset.kind = over ? 'limit' : '';
    }
  }

  send() {
    if (!this.input.value.trim()) return;
    const mode = this.mode;
    let problem;
    if (mode?.type === 'edit') problem = this.client.editMessage(this.chatId, mode.seq, this.input.value);
    else if (mode?.type === 'reply') problem = this.client.sendReply(this.chatId, this.input.value, mode.seq);
    else problem = this.client.sendText(this.chatId, this.input.value);
    if (problem) {
      this.composerError.textContent = problem;
      this.composerError.dataset.kind = 'limit';
      this.input.focus();
      return;
    }
    this.input.value = '';
    this.drafts.delete(this.chatId);
    this.composerError.textContent = '';
    if (mode) {
      this.mode = null;
      this.modeBar.hidden = true;
    }
    this.resizeInput();
    this.updateLimit();
    this.pinned = true;
    this.renderMessages();
  }
}
