// The sidebar's chat list: newest activity first, with preview, unread count
// and, for direct chats, the other member's presence.

import { h, reconcile, setChildren } from './dom.js';
import { avatar } from './avatar.js';
import { formatListTime, formatPresence } from './format.js';

export class ChatList {
  constructor(store) {
    this.store = store;
    this.list = h('ul', { class: 'chat-list', 'data-testid': 'chat-list' });
    this.empty = h('div', { class: 'chat-list-empty' });
    this.el = h('nav', { class: 'chat-list-wrap', 'aria-label': 'Chats' }, this.list, this.empty);
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
    const preview = s.preview;
    const previewBody = s.removed ? 'You are no longer a member' : preview ? (preview.deleted ? 'Deleted message' : preview.text.replace(/\s+/g, ' ')) : s.info.kind === 'group' ? 'Group created' : 'No messages yet';
    let previewWho = '';
    if (preview && !s.removed) {
      if (preview.sender_id === store.me) previewWho = 'You';
      else if (s.info.kind === 'group') previewWho = store.userName(preview.sender_id);
    }
    const previewText = previewWho ? `${previewWho}: ${previewBody}` : previewBody;
    const presenceText = presence ? formatPresence(presence) : '';
    const label = [title, presenceText, unread ? `${unread} unread` : '', previewText].filter(Boolean).join(', ');
    a.href = `#/chat/${encodeURIComponent(s.id)}`;
    a.dataset.chatId = s.id;
    a.dataset.unread = String(unread);
    a.setAttribute('aria-label', label);
    if (store.openChatId === s.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    a.classList.toggle('unread', unread > 0);
    a.classList.toggle('removed', s.removed);
    const sig = [title, presence?.status, unread, previewText, s.activity(), s.info.kind].join('|');
    if (a._sig === sig) return;
    a._sig = sig;
    setChildren(a,
      avatar(peer ?? s.id, title, { presence, group: s.info.kind === 'group' }),
      h('span', { class: 'chat-item-body' },
        h('span', { class: 'row' },
          h('span', { class: 'chat-name', dir: 'auto', 'data-testid': 'chat-name' }, title),
          h('span', { class: 'chat-time' }, formatListTime(preview?.ts ?? 0))),
        h('span', { class: 'row' },
          // The sender's name and the text isolated from each other: either may be right-to-left.
          h('span', { class: 'chat-preview', dir: 'auto', 'data-testid': 'chat-preview' },
            previewWho ? [h('bdi', {}, previewWho), ': ', h('bdi', {}, previewBody)] : previewBody),
          unread ? h('span', { class: 'badge', 'data-testid': 'unread-badge' }, unread > 999 ? '999+' : String(unread)) : null)));
  }
}
