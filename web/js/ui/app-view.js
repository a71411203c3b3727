// The logged-in screen: sidebar (who am I, connection state, chat list,
// actions) and the open chat. Routes with the URL hash: #/chat/<id>.

import { h, setChildren, batched } from './dom.js';
import { avatar } from './avatar.js';
import { connectionText } from './format.js';
import { icon } from './icons.js';
import { ChatList } from './chat-list.js';
import { ChatView } from './chat-view.js';
import { SearchPanel } from './search-panel.js';
import { openMuteDialog, openNewChatDialog, openNewGroupDialog } from './dialogs.js';
import { openGroupDialog } from './group-dialog.js';
import { openAccountDialog } from './account-dialog.js';
import { notificationPermission, notificationsSupported, requestNotificationPermission } from '../notify.js';

export class AppView {
  constructor(root, store, client) {
    Object.assign(this, { root, store, client });
    this.drafts = new Map();
    this.chatView = null;
    this.chatList = new ChatList(store);
    // Across every chat; while it shows results they take the chat list's place.
    this.search = new SearchPanel({
      store,
      client,
      onPick: (chatId, seq) => this.openAt(chatId, seq),
      onActive: (active) => { this.chatList.el.hidden = active; },
    });
    this.build();
    this.renders = {
      list: batched(() => this.chatList.render()),
      header: batched(() => this.chatView?.renderHeader()),
      messages: batched(() => this.chatView?.renderMessages()),
      typing: batched(() => this.chatView?.renderTyping()),
      banner: batched(() => this.renderBanner()),
      me: batched(() => this.renderMe()),
      title: batched(() => this.renderTitle()),
    };
    this.unsubscribe = store.subscribe((topic, detail) => this.onChange(topic, detail));
    this.onHash = () => this.route();
    window.addEventListener('hashchange', this.onHash);
    this.bannerTimer = setInterval(() => {
      if (store.connection.status !== 'waiting') return;
      this.renderBanner();
      this.renders.header(); // its countdown too
    }, 1000);
    this.renderMe();
    this.renderBanner();
    this.renderNotifications();
    this.chatList.render();
    this.route();
    this.mountChat();
  }

  destroy() {
    this.unsubscribe();
    window.removeEventListener('hashchange', this.onHash);
    clearInterval(this.bannerTimer);
    clearTimeout(this.muteTimer);
    this.chatView?.destroy();
    this.el.remove();
    for (const d of document.querySelectorAll('dialog')) d.close();
  }

  build() {
    this.meEl = h('button', { type: 'button', class: 'me', title: 'Account', 'data-testid': 'account-button', on: { click: () => openAccountDialog(this.store, this.client) } });
    this.banner = h('div', { class: 'conn-banner', role: 'status', 'data-testid': 'connection' });
    this.notifyBtn = h('button', { type: 'button', class: 'btn subtle small', on: { click: () => this.enableNotifications() } }, icon('bell', { size: 16 }), ' Enable notifications');
    this.notifyNote = h('p', { class: 'muted small' });
    const newChat = h('button', { type: 'button', class: 'btn primary small', on: { click: () => openNewChatDialog(this.client, { onOpen: (id) => this.go(id) }) } }, icon('edit', { size: 16 }), ' New chat');
    const newGroup = h('button', { type: 'button', class: 'btn subtle small', on: { click: () => openNewGroupDialog(this.client, { onOpen: (id) => this.go(id) }) } }, icon('users', { size: 16 }), ' New group');
    const logout = h('button', { type: 'button', class: 'btn subtle small', on: { click: () => this.client.logout() } }, icon('logout', { size: 16 }), ' Log out');
    this.sidebar = h('aside', { class: 'sidebar' },
      h('header', { class: 'sidebar-head' }, this.meEl, logout),
      h('div', { class: 'sidebar-actions' }, newChat, newGroup),
      this.banner,
      this.search.field,
      this.search.results,
      this.chatList.el,
      h('footer', { class: 'sidebar-foot' }, this.notifyBtn, this.notifyNote));
    this.pane = h('main', { class: 'pane', id: 'main' });
    this.placeholder = h('div', { class: 'placeholder' },
      icon('chat', { size: 48 }),
      h('h2', {}, 'Your conversations'),
      h('p', {}, 'Pick a chat on the left, or start a new one.'));
    this.el = h('div', { class: 'app', 'data-testid': 'app-view' },
      h('a', { href: '#main', class: 'skip-link' }, 'Skip to conversation'),
      this.sidebar, this.pane);
    this.root.append(this.el);
  }

  onChange(topic, detail) {
    const r = this.renders;
    switch (topic) {
      case 'chats':
        r.list();
        r.header();
        r.messages();
        r.title();
        this.scheduleMuteEnd();
        break;
      case 'messages':
        if (!detail || detail === this.store.openChatId) {
          r.messages();
          r.typing(); // a message ends its sender's "is typing"
        }
        break;
      case 'presence':
        r.list();
        r.header();
        break;
      case 'typing':
        if (detail === this.store.openChatId) r.typing();
        break;
      case 'connection':
        r.banner();
        r.list(); // presence is not shown while disconnected
        r.header();
        break;
      case 'session':
        r.me();
        break;
      case 'open':
        this.mountChat();
        r.list();
        break;
      default:
        break;
    }
  }

  /** Opens a chat and puts the focus in its composer. */
  go(chatId) {
    this.focusComposerNext = true;
    if (this.store.openChatId === chatId) this.chatView?.focusComposer();
    location.hash = `#/chat/${encodeURIComponent(chatId)}`;
  }

  /** Opens a chat at one of its messages (a search result). */
  openAt(chatId, seq) {
    this.pendingJump = { chatId, seq };
    if (this.store.openChatId === chatId && this.chatView) {
      this.pendingJump = null;
      this.chatView.jumpWhenLoaded(seq);
      return;
    }
    location.hash = `#/chat/${encodeURIComponent(chatId)}`;
  }

  route() {
    const m = /^#\/chat\/(.+)$/.exec(location.hash);
    const chatId = m ? decodeURIComponent(m[1]) : null;
    if (chatId === this.store.openChatId) return;
    if (chatId) this.client.openChat(chatId);
    else this.client.closeChat();
  }

  mountChat() {
    const chatId = this.store.openChatId;
    const hadFocusInList = this.sidebar.contains(document.activeElement);
    if (this.chatView && this.chatView.chatId === chatId) return;
    if (!this.chatView && !chatId && this.pane.firstChild === this.placeholder) return;
    const previous = this.chatView?.chatId;
    const hadFocusInPane = this.pane.contains(document.activeElement);
    this.chatView?.destroy();
    this.chatView = null;
    this.el.dataset.view = chatId ? 'chat' : 'list';
    if (!chatId) {
      this.focusComposerNext = false;
      // The open chat was removed from the list (here or on another device): the address follows.
      if (/^#\/chat\//.test(location.hash)) history.replaceState(null, '', '#/');
      setChildren(this.pane, this.placeholder);
      this.renderTitle();
      // Back to the list (phones): focus the chat we came from.
      if (previous && (hadFocusInPane || document.activeElement === document.body)) {
        this.chatList.render();
        this.chatList.list.querySelector(`a[data-chat-id="${CSS.escape(previous)}"]`)?.focus();
      }
      return;
    }
    if (!this.store.chat(chatId)) {
      // Not known yet (the list is loading, or a link to a chat we are not in).
      const note = h('p', {});
      const show = () => { note.textContent = this.store.chatsLoaded ? 'This chat is not available.' : 'Loading…'; };
      show();
      setChildren(this.pane, h('div', { class: 'placeholder' }, note));
      const off = this.store.subscribe((topic) => {
        if (topic !== 'chats' && topic !== 'open') return;
        if (this.store.openChatId !== chatId) return off();
        if (!this.store.chat(chatId)) return show();
        off();
        this.client.openChat(chatId);
        this.mountChat();
      });
      return;
    }
    this.chatView = new ChatView(this.store, this.client, chatId, {
      drafts: this.drafts,
      // Left: the chat stays open, ended, its history readable.
      onMembers: (id) => openGroupDialog(this.store, this.client, id, { onLeft: () => this.chatView?.focusComposer() }),
      onMute: (id) => openMuteDialog(this.store, this.client, id),
    });
    setChildren(this.pane, this.chatView.el);
    this.chatView.renderMessages();
    if (this.pendingJump?.chatId === chatId) this.chatView.jumpWhenLoaded(this.pendingJump.seq);
    this.pendingJump = null;
    const active = document.activeElement;
    if (this.focusComposerNext || hadFocusInList || !active || active === document.body) this.chatView.focusComposer();
    this.focusComposerNext = false;
  }

  /** Shows the end of the next mute when it comes (the bell, the badge, the title's count). */
  scheduleMuteEnd() {
    const now = Date.now();
    let next = Infinity;
    for (const s of this.store.chats.values()) if (s.muted_until > now && s.muted_until < next) next = s.muted_until;
    if (next === this.muteEndAt) return;
    clearTimeout(this.muteTimer);
    this.muteEndAt = next;
    if (next === Infinity) return;
    // setTimeout takes at most 2^31 − 1 ms (24.8 days); a longer mute is looked at again then.
    this.muteTimer = setTimeout(() => {
      this.muteEndAt = null;
      this.store.emit('chats');
    }, Math.min(next - now + 50, 2 ** 31 - 1));
  }

  renderMe() {
    const s = this.store.session;
    if (!s) return;
    setChildren(this.meEl,
      avatar(s.user_id, s.display_name, { size: 'sm' }),
      h('div', { class: 'me-text' },
        h('strong', { dir: 'auto', 'data-testid': 'me-name' }, s.display_name),
        h('span', { class: 'muted small' }, s.email)));
  }

  renderBanner() {
    const { status, retryAt } = this.store.connection;
    const b = this.banner;
    b.dataset.status = status;
    if (status === 'live' || status === 'stopped') {
      b.hidden = true;
      setChildren(b);
      return;
    }
    b.hidden = false;
    if (status === 'waiting') {
      setChildren(b,
        h('span', { class: 'dot offline' }),
        h('span', {}, connectionText({ status, retryAt })),
        h('button', { type: 'button', class: 'link', on: { click: () => this.client.conn?.retryNow() } }, 'Retry now'));
    } else {
      setChildren(b, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, connectionText({ status, retryAt })));
    }
  }

  renderNotifications() {
    const permission = notificationPermission();
    this.notifyBtn.hidden = !notificationsSupported() || permission !== 'default';
    this.notifyNote.hidden = permission !== 'denied';
    this.notifyNote.textContent = permission === 'denied' ? 'Notifications are blocked in this browser’s site settings.' : '';
  }

  async enableNotifications() {
    await requestNotificationPermission();
    this.renderNotifications();
  }

  renderTitle() {
    // Muted chats keep their count in the list, but do not call from the tab's title.
    let unread = 0;
    for (const s of this.store.chats.values()) if (!this.store.isMuted(s)) unread += s.unread();
    const base = this.store.openChatId && this.store.chat(this.store.openChatId) ? `${this.store.title(this.store.chat(this.store.openChatId))} · Parley` : 'Parley';
    document.title = unread ? `(${unread}) ${base}` : base;
  }
}
