// The sidebar's chat list: newest activity first, with preview, unread count
// and, for direct chats, the other member's presence.

import { h, reconcile, setChildren } from './dom.js';
import { avatar } from './avatar.js';
import { formatListTime, formatPresence } from './format.js';
import { icon } from './icons.js';

// Keyboard: the list is one Tab stop (a roving tabindex: only one row is
// tabbable, the one last focused, else the open chat, else the first); Up and
// Down move between rows, Home and End to the first and last, Enter opens.
export class ChatList {
  constructor(store) {
    this.store = store;
    this.focusedId = null; // the row that keeps tabindex=0
    this.list = h('ul', { class: 'chat-list', 'data-testid': 'chat-list', on: { keydown: (e) => this.onKey(e), focusin: (e) => this.onFocus(e) } });
    this.empty = h('div', { class: 'chat-list-empty' });
    this.el = h('nav', { class: 'chat-list-wrap', 'aria-label': 'Chats' }, this.list, this.empty);
  }

  items() {
    return [...this.list.querySelectorAll('a.chat-item')];
  }

  onFocus(e) {
    const a = e.target.closest?.('a.chat-item');
    if (!a) return;
    this.focusedId = a.dataset.chatId;
    this.updateTabStops();
  }

  onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const items = this.items();
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    let next;
    if (e.key === 'ArrowDown') next = Math.min(i + 1, items.length - 1);
    else if (e.key === 'ArrowUp') next = Math.max(i - 1, 0);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = items.length - 1;
    else if (e.key === ' ') {
      e.preventDefault(); // Space opens too, as on a button, instead of scrolling
      items[i].click();
      return;
    } else return;
    e.preventDefault();
    items[next].focus();
    items[next].scrollIntoView({ block: 'nearest' });
  }

  /** Exactly one row is in the Tab order. */
  updateTabStops() {
    const items = this.items();
    const ids = new Set(items.map((a) => a.dataset.chatId));
    const stop = ids.has(this.focusedId) ? this.focusedId : ids.has(this.store.openChatId) ? this.store.openChatId : items[0]?.dataset.chatId;
    for (const a of items) a.tabIndex = a.dataset.chatId === stop ? 0 : -1;
  }

  render() {
    const { store } = this;
    const chats = store.sortedChats();
    reconcile(this.list, chats, {
      key: (s) => s.id,
      create: (s) => {
        const li = h('li');
        li.append(h('a', { class: 'chat-item', 'data-testid': 'chat-item' }));
        return li;
      },
      update: () => {},
    });
    for (const li of this.list.children) this.fill(li.firstElementChild, store.chat(li.dataset.key));
    this.updateTabStops();
    this.empty.hidden = chats.length > 0;
    if (!chats.length) {
      setChildren(this.empty, store.chatsLoaded
        ? [h('p', { class: 'empty-title' }, 'No chats yet'), h('p', {}, 'Start a conversation with “New chat” or create a group.')]
        : [h('p', {}, 'Loading chats…')]);
    }
  }

  fill(a, s) {
    const { store } = this;
    const title = store.title(s);
    const peer = store.peerOf(s);
    const presence = peer ? store.shownPresence(peer) : null;
    const unread = s.unread();
    const muted = store.isMuted(s);
    const preview = s.preview;
    // A chat that ended for us (removed, or left) keeps its last message; its tag says it ended.
    let previewBody;
    if (preview) previewBody = preview.deleted ? 'Deleted message' : preview.text.replace(/\s+/g, ' ');
    else if (s.removed) previewBody = 'You are no longer a member';
    else previewBody = s.info.kind === 'group' ? 'Group created' : 'No messages yet';
    let previewWho = '';
    if (preview) {
      if (preview.sender_id === store.me) previewWho = 'You';
      else if (s.info.kind === 'group') previewWho = store.userName(preview.sender_id, s);
    }
    const previewText = previewWho ? `${previewWho}: ${previewBody}` : previewBody;
    const presenceText = presence ? formatPresence(presence) : '';
    // A message request for us, or a chat with someone we block.
    const blocked = !s.removed && store.isBlocked(s);
    const request = !s.removed && !blocked && s.request;
    const tag = s.removed ? 'Ended' : blocked ? 'Blocked' : request ? 'Request' : '';
    const tagLabel = s.removed ? 'ended, you are no longer a member' : request ? 'message request' : blocked ? 'blocked' : '';
    const label = [title, tagLabel, presenceText, muted ? 'muted' : '', unread ? `${unread} unread` : '', previewText].filter(Boolean).join(', ');
    a.href = `#/chat/${encodeURIComponent(s.id)}`;
    a.dataset.chatId = s.id;
    a.dataset.unread = String(unread);
    a.dataset.muted = String(muted);
    a.dataset.request = String(request);
    a.dataset.blocked = String(blocked);
    a.dataset.ended = String(s.removed);
    a.setAttribute('aria-label', label);
    if (store.openChatId === s.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    a.classList.toggle('unread', unread > 0);
    a.classList.toggle('removed', s.removed);
    const sig = [title, presence?.status, unread, muted, previewText, s.activity(), s.info.kind, tag].join('|');
    if (a._sig === sig) return;
    a._sig = sig;
    setChildren(a,
      avatar(peer ?? s.id, title, { presence, group: s.info.kind === 'group' }),
      h('span', { class: 'chat-item-body' },
        h('span', { class: 'row' },
          h('span', { class: 'chat-name', dir: 'auto', 'data-testid': 'chat-name' }, title),
          tag ? h('span', { class: `request-tag${s.removed ? ' ended' : blocked ? ' blocked' : ''}`, 'data-testid': 'chat-tag' }, tag) : null,
          h('span', { class: 'chat-time' }, formatListTime(preview?.ts ?? 0))),
        h('span', { class: 'row' },
          // The sender's name and the text isolated from each other: either may be right-to-left.
          h('span', { class: 'chat-preview', dir: 'auto', 'data-testid': 'chat-preview' },
            previewWho ? [h('bdi', {}, previewWho), ': ', h('bdi', {}, previewBody)] : previewBody),
          muted ? h('span', { class: 'muted-icon', title: 'Muted', 'data-testid': 'muted-icon' }, icon('bellOff', { size: 14 })) : null,
          unread ? h('span', { class: `badge${muted ? ' quiet' : ''}`, 'data-testid': 'unread-badge' }, unread > 999 ? '999+' : String(unread)) : null)));
  }
}
