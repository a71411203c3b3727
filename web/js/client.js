// The app's controller: turns server frames and REST answers into store
// updates, and user actions into requests. Owns the rules that keep what is
// displayed exact:
//   - a message is kept once per (chat_id, seq); an outbox entry disappears as
//     soon as its ack, or any message with its client_msg_id, is seen;
//   - actions (edit, delete, reaction) are entries of the window like messages,
//     applied once to the message they target (actions.js) and not shown;
//   - a loaded chat's messages form a contiguous window ending at last_seq;
//     any hole (a seq gap in live traffic, missed frames) is filled with
//     GET /v1/chats/{id}/messages?after=.

import { applyAction, isShown } from './actions.js';
import { isTimelineLine } from './timeline.js';
import { Api, ApiError, describeDevice } from './api.js';
import { Connection, Outbox, webSocketUrl } from './connection.js';
import { Receipts } from './receipts.js';
import { utf8Length } from './ui/format.js';

// parleyd's default --max-text-bytes until the server's `welcome` says otherwise.
export let MAX_TEXT_BYTES = 4096;
export const TYPING_SHOW_MS = 5000;
export const TYPING_SEND_EVERY_MS = 3000;
const PAGE = 50;
const GAP_PAGE = 200;
const READ_DELAY_MS = 250;

export class Client {
  /**
   * @param {import('./store.js').Store} store
   * @param {object} hooks
   * @param {(state, message) => void} [hooks.onIncoming]  a live message from someone else arrived
   */
  constructor(store, hooks = {}) {
    this.store = store;
    this.hooks = hooks;
    this.api = new Api({ getToken: () => store.session?.token ?? null, onUnauthorized: () => this.sessionEnded() });
    this.conn = null;
    this.outbox = null;
    this.gapRuns = new Map(); // chat_id → running fillGaps promise
    this.gapAgain = new Set();
    this.forgotten = new Set(); // ended chats removed from the list: later `chat` events about them are ignored
    this.pendingReads = new Map(); // chat_id → seq not yet sent to the server
    this.receipts = new Receipts(store, {
      send: (frame) => this.conn?.send(frame) ?? false,
      fetch: async (chatId) => (await this.api.receipts(chatId)).receipts ?? [],
    });
    this.readTimer = null;
    this.lastTypingSent = new Map();
    this.timers = [];
    this.refreshRun = null;
    this.refreshAgain = false;
  }

  // ---- session ----

  async signup(email, password, displayName) {
    await this.api.signup(email, password, displayName);
    await this.login(email, password);
  }

  async login(email, password) {
    const res = await this.api.login(email, password, describeDevice());
    const session = { token: res.token, user_id: res.user_id, device_id: res.device_id, email, display_name: email };
    // A new login is a new device: nothing of a previous session may leak into it.
    this.store.clearSession();
    this.store.session = session;
    try {
      const me = await this.api.me();
      session.display_name = me.display_name;
      session.email = me.email;
    } catch {
      // the name shows once /v1/me answers on the next start
    }
    this.store.setSession(session);
  }

  async logout() {
    try {
      await this.api.logout();
    } catch {
      // the token is forgotten here anyway
    }
    this.stop();
    this.store.clearSession();
  }

  // ---- account ----
  async rename(displayName) {
    const me = await this.api.rename(displayName);
    if (this.store.session) this.store.setSession({ ...this.store.session, display_name: me.display_name });
    return me;
  }
  changePassword(current, replacement, logoutOthers) {
    return this.api.changePassword(current, replacement, logoutOthers);
  }
  async devices() {
    return (await this.api.devices()).devices ?? [];
  }
  async logoutDevice(deviceId) {
    if (deviceId === this.store.session?.device_id) return this.logout();
    return this.api.logoutDevice(deviceId);
  }

  sessionEnded() {
    if (!this.store.session) return;
    this.stop();
    this.store.clearSession();
    this.store.emit('notice', 'Your session has ended. Please log in again.');
  }

  /**
   * In a cluster, the ws URLs of the user's home node, of this server (which
   * answered) and of every live node; null on a single node. Throws when this
   * server does not answer.
   */
  async homeNode() {
    const token = this.store.session?.token;
    if (!token) return null;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 3000);
    try {
      const response = await fetch('/v1/route', { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
      if (!response.ok) return null;
      const body = await response.json();
      if (!body.cluster || typeof body.url !== 'string') return null;
      const nodes = Array.isArray(body.nodes) ? body.nodes.filter((n) => typeof n === 'string').map(webSocketUrl) : [];
      return { url: webSocketUrl(body.url), answeredBy: this.ownWebSocketUrl(), nodes };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The WebSocket URL of the server this page came from. */
  ownWebSocketUrl() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/v1/ws`;
  }

  start() {
    const { store } = this;
    this.outbox = new Outbox(store.outboxStorage(), () => store.emit('messages'));
    this.conn = new Connection({
      url: this.ownWebSocketUrl(),
      getToken: () => store.session?.token,
      cursor: store.cursorStorage(),
      outbox: this.outbox,
      onFrame: (frame) => this.handleFrame(frame),
      onStatus: (conn) => {
        store.connection = { status: conn.status, retryAt: conn.retryAt };
        store.emit('connection');
      },
      onUnauthorized: () => this.sessionEnded(),
      route: () => this.homeNode(),
    });
    this.conn.start();
    // A page closed or reloaded inside the read window still reports what was read.
    this.onPageHide = () => this.flushReads();
    window.addEventListener('pagehide', this.onPageHide);
    this.refreshChats();
    this.loadBlocks();
    this.api.me().then((me) => {
      if (!store.session) return;
      if (typeof me.presence_visibility === 'string') store.presenceVisibility = me.presence_visibility;
      store.setSession({ ...store.session, display_name: me.display_name, email: me.email });
    }, () => {});
    // "last seen 5 min ago" ages without any event.
    this.timers.push(setInterval(() => store.emit('presence'), 30000));
  }

  stop() {
    if (this.onPageHide) window.removeEventListener('pagehide', this.onPageHide);
    this.onPageHide = null;
    this.conn?.stop();
    this.conn = null;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.readTimer);
    this.readTimer = null;
    this.pendingReads.clear();
    this.receipts.stop();
    this.forgotten.clear();
  }

  // ---- frames ----

  handleFrame(frame) {
    switch (frame.type) {
      case 'welcome':
        if (Number.isInteger(frame.max_text_bytes) && frame.max_text_bytes > 0) MAX_TEXT_BYTES = frame.max_text_bytes;
        return this.onWelcome();
      case 'message':
        return this.ingest([frame], { live: true });
      case 'ack':
        return this.onAck(frame);
      case 'receipt':
        return this.onReceipt(frame);
      case 'delivered':
        return this.receipts.onDelivered(frame);
      case 'typing':
        return this.onTyping(frame);
      case 'presence':
        return this.onPresence(frame);
      case 'chat':
        return this.onChatEvent(frame);
      case 'error':
        return this.onErrorFrame(frame);
      default:
        return undefined; // synced, and frames this version does not know
    }
  }

  onWelcome() {
    const peers = this.store.directPeers();
    if (peers.length) this.conn.send({ type: 'presence_subscribe', user_ids: peers });
    this.flushReads();
    this.receipts.flush();
    // Markers may have moved while we were away: the open chat's are asked
    // again now, any other chat's when it is opened.
    const open = this.store.chat(this.store.openChatId);
    if (open && !open.removed) this.receipts.load(open.id);
    // Chat events are not replayed on resume, and a first connection gets no
    // backlog: the list (membership, last_seq, read_seq) is fetched again;
    // and whom we block, which may have changed on another device.
    this.refreshChats();
    this.loadBlocks();
  }

  onAck(frame) {
    // Writing a message means having read the conversation up to it.
    this.markRead(frame.chat_id, frame.seq);
    // Replying to a message request accepts it (the `accepted` event says so too).
    if (this.store.chat(frame.chat_id)?.request) this.refreshChat(frame.chat_id);
    const entry = this.outbox.take(frame.client_msg_id);
    if (entry) {
      const m = { chat_id: frame.chat_id, seq: frame.seq, sender_id: this.store.me, text: entry.text, ts: frame.ts, client_msg_id: entry.client_msg_id };
      for (const field of ['kind', 'target_seq', 'reply_to']) if (entry[field]) m[field] = entry[field];
      this.ingest([m], { live: true });
    }
  }

  onReceipt({ chat_id: chatId, user_id: userId, read_seq: readSeq }) {
    const state = this.store.chat(chatId);
    if (!state) return;
    if (userId === this.store.me) {
      if (readSeq > state.read_seq) state.read_seq = readSeq;
      if (readSeq > state.reported_read) state.reported_read = readSeq;
      // Read part of the way on another device: what is left unread of a chat
      // not loaded here is the server's to count.
      if (!state.loaded && readSeq < state.last_seq) this.refreshChat(chatId);
      this.store.emit('chats');
    } else {
      this.receipts.onRead(chatId, userId, readSeq);
    }
  }

  onTyping({ chat_id: chatId, user_id: userId }) {
    const state = this.store.chat(chatId);
    if (!state || userId === this.store.me) return;
    state.typing.set(userId, Date.now() + TYPING_SHOW_MS);
    this.store.emit('typing', chatId);
    setTimeout(() => this.store.emit('typing', chatId), TYPING_SHOW_MS + 50);
  }

  onPresence({ user_id: userId, status, last_active_at: lastActiveAt }) {
    this.store.presence.set(userId, { status, last_active_at: lastActiveAt, at: Date.now() });
    this.store.emit('presence', userId);
  }

  onChatEvent({ event, chat }) {
    if (!chat?.chat_id) return;
    // An ended chat removed from the list, here or on another device of ours.
    if (event === 'forgotten') return this.forgetChat(chat.chat_id);
    if (this.forgotten.has(chat.chat_id)) {
      // Only being added again brings it back.
      if (!chat.members?.some((m) => m.user_id === this.store.me)) return;
      this.forgotten.delete(chat.chat_id);
    }
    const known = this.store.chats.get(chat.chat_id);
    const wasRemoved = known?.removed ?? true;
    const state = this.store.upsertChat(chat);
    if (!wasRemoved && state.removed) {
      // Removed, or we left: what we may still read, up to when, comes with
      // the chat as shown to us (its ended view).
      this.refreshChat(state.id);
    }
    if (wasRemoved && !state.removed) {
      // New to us (created, or we were added, maybe again): start from a fresh
      // window; of an earlier membership nothing is ours to read any more.
      state.messages.clear();
      state.absent.clear();
      state.loaded = false;
      state.hasOlder = true;
      state.counted = null;
      state.preview = null;
      state.previewAt = 0;
      this.adoptPeer(state);
      // An event's chat is the same for every member: our read marker, unread
      // count and mute come with the chat as shown to us. Meanwhile: an added
      // member's marker starts at the chat's last seq when added, which the
      // member_added event's chat shows (its line comes after).
      if (typeof chat.read_seq !== 'number') {
        if (event === 'member_added') state.read_seq = Math.max(state.read_seq, chat.last_seq ?? 0);
        this.refreshChat(state.id);
      }
      if (state.last_seq > 0) this.loadPreviews([state]);
      if (this.store.openChatId === state.id) this.loadNewest(state.id);
    }
    if (state.removed) state.typing.clear();
    else if (state.markers && /^member_(added|removed)$/.test(event ?? '')) this.receipts.load(state.id);
    this.store.emit('chats', event);
    this.store.emit('messages', state.id);
  }

  onErrorFrame(frame) {
    if (frame.code === 'rate_limited' && !frame.ref) {
      // The dropped frame is not named: resend every unacknowledged message at the next tick.
      for (const entry of this.outbox.pending()) entry.sent_at = 0;
      return;
    }
    if (frame.ref && this.outbox.get(frame.ref)) {
      const entry = this.outbox.get(frame.ref);
      if (frame.code === 'overloaded' || frame.code === 'rate_limited') {
        entry.sent_at = 0; // resent at the next heartbeat tick
      } else if (entry.kind) {
        // A refused action is not kept to retry: the chat says why.
        this.outbox.take(frame.ref);
        const state = this.store.chat(entry.chat_id);
        if (state) state.actionError = describeActionError(frame);
        this.store.emit('messages', entry.chat_id);
      } else {
        // Refused in a direct chat we are in: we blocked its other member, maybe on another device.
        const state = this.store.chat(entry.chat_id);
        const blocking = frame.code === 'forbidden' && state?.info.kind === 'direct' && !state.removed;
        this.outbox.fail(frame.ref, { code: frame.code, message: blocking ? 'You blocked this person: unblock them to write to them.' : describeSendError(frame) });
        if (blocking) this.loadBlocks();
      }
      return;
    }
    console.warn('parleyd:', frame.code, frame.message);
  }

  // ---- messages ----

  /** Adds messages (live frames, acks or history) to their chats, once each. */
  ingest(messages, { live = false } = {}) {
    const { store } = this;
    const touched = new Set();
    this.receipts.received(messages);
    // A REST page reflects every action committed before it was read: at least
    // up to its newest entry and to what this device knew then.
    const fetchedUpTo = new Map();
    if (!live) {
      for (const m of messages) {
        const known = store.chat(m.chat_id)?.last_seq ?? 0;
        fetchedUpTo.set(m.chat_id, Math.max(fetchedUpTo.get(m.chat_id) ?? known, m.seq));
      }
    }
    // Oldest first, so that actions apply in the order they were committed.
    for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
      const state = store.chat(m.chat_id);
      if (!state) {
        this.refreshChats(); // a chat we have not heard of: its history will come with it
        continue;
      }
      if (m.sender_id === store.me && m.client_msg_id && this.outbox?.get(m.client_msg_id)?.chat_id === m.chat_id) {
        this.outbox.take(m.client_msg_id); // stored on the server: no longer pending
      }
      if (state.messages.has(m.seq)) continue;
      if (state.ended && m.seq > state.ended_seq) continue; // after we left: not ours to read
      if (isShown(m)) m.state_seq = live ? m.seq : fetchedUpTo.get(m.chat_id);
      state.messages.set(m.seq, m);
      if (m.seq > state.last_seq) state.last_seq = m.seq;
      if (m.sender_id === store.me && m.seq > state.read_seq) state.read_seq = m.seq;
      state.typing.delete(m.sender_id);
      touched.add(state.id);
      if (isTimelineLine(m)) continue; // shown among the messages, never notified
      if (!isShown(m)) {
        applyAction(state.messages.get(m.target_seq), m);
        if (state.preview?.seq === m.target_seq && state.preview !== state.messages.get(m.target_seq)) applyAction(state.preview, m);
        continue;
      }
      if (!state.preview || m.seq >= state.preview.seq) state.preview = m;
      if (live && m.sender_id !== store.me) this.hooks.onIncoming?.(state, m);
    }
    for (const chatId of touched) {
      const state = store.chat(chatId);
      if (state.loaded && state.firstGapAfter() !== null) this.fillGaps(chatId);
      store.emit('messages', chatId);
    }
    if (touched.size) store.emit('chats');
  }

  /** Fetches the holes of a loaded chat's window, and its tail up to last_seq. */
  fillGaps(chatId) {
    if (this.gapRuns.has(chatId)) {
      this.gapAgain.add(chatId);
      return this.gapRuns.get(chatId);
    }
    const run = (async () => {
      for (let round = 0; round < 100; round++) {
        const state = this.store.chat(chatId);
        if (!state || !state.loaded || !state.readable) return;
        let after = state.firstGapAfter();
        if (after === null) {
          const newest = state.newestKnown();
          if (state.last_seq <= newest) return;
          after = newest;
        }
        const known = state.last_seq;
        const page = await this.api.history(chatId, { after, limit: GAP_PAGE });
        // The server reads past what it withholds from us: a full page covers
        // up to its last entry, a shorter one up to every seq known before it
        // was asked. What it did not return there will never come.
        const covered = page.length < GAP_PAGE ? Math.max(known, page[page.length - 1]?.seq ?? 0) : page[page.length - 1].seq;
        state.markAbsent(after, covered, page);
        this.ingest(page);
        if (page.length === 0) return;
      }
    })()
      .catch(() => {})
      .finally(() => {
        this.gapRuns.delete(chatId);
        if (this.gapAgain.delete(chatId)) this.fillGaps(chatId);
      });
    this.gapRuns.set(chatId, run);
    return run;
  }

  openChat(chatId) {
    this.store.openChatId = chatId;
    this.store.emit('open', chatId);
    const state = this.store.chat(chatId);
    if (state && !state.loaded && state.readable) this.loadNewest(chatId);
    // A former member's receipts are not the server's to give.
    if (state && !state.removed) this.receipts.load(chatId);
  }

  closeChat() {
    this.store.openChatId = null;
    this.store.emit('open', null);
  }

  async loadNewest(chatId) {
    const state = this.store.chat(chatId);
    if (!state || state.loading) return;
    state.loading = true;
    state.loadError = null;
    this.store.emit('messages', chatId);
    try {
      const known = state.last_seq;
      const page = await this.api.history(chatId, { limit: PAGE }); // newest first
      if (page.length) {
        const oldest = page[page.length - 1].seq;
        for (const seq of [...state.messages.keys()]) if (seq < oldest) state.messages.delete(seq);
        for (const seq of [...state.absent]) if (seq < oldest) state.absent.delete(seq);
        state.hasOlder = oldest > 1;
        // From its oldest entry to what we knew of, the page is complete: the rest is withheld.
        state.markAbsent(oldest - 1, Math.max(known, page[0].seq), page);
      } else {
        state.absent.clear();
        state.hasOlder = false;
      }
      state.loaded = true;
      this.ingest(page);
      this.fillGaps(chatId);
    } catch (e) {
      state.loadError = e.message;
    } finally {
      state.loading = false;
      this.store.emit('messages', chatId);
    }
  }

  async loadOlder(chatId) {
    const state = this.store.chat(chatId);
    if (!state || !state.loaded || !state.hasOlder || state.loadingOlder) return;
    const oldest = state.oldestSeq();
    if (oldest <= 1) {
      state.hasOlder = false;
      return;
    }
    state.loadingOlder = true;
    this.store.emit('messages', chatId);
    try {
      const page = await this.api.history(chatId, { before: oldest, limit: PAGE });
      state.hasOlder = page.length > 0 && page[page.length - 1].seq > 1;
      if (page.length) state.markAbsent(page[page.length - 1].seq - 1, oldest - 1, page);
      this.ingest(page);
    } catch (e) {
      state.loadError = e.message;
    } finally {
      state.loadingOlder = false;
      this.store.emit('messages', chatId);
    }
  }

  /** Queues a message; returns an error text instead when it cannot be sent. */
  sendText(chatId, text) {
    // The message ends our "is typing" on the other side: the next keystroke says it again (queue()).
    return this.queue(chatId, text, {});
  }

  /** Queues a reply quoting `replyTo`; as sendText. */
  sendReply(chatId, text, replyTo) {
    return this.queue(chatId, text, { reply_to: replyTo });
  }

  /** Edits our message `seq`; returns an error text instead when it cannot be sent. */
  editMessage(chatId, seq, text) {
    return this.queue(chatId, text, { kind: 'edit', target_seq: seq });
  }

  deleteMessage(chatId, seq) {
    return this.queue(chatId, '', { kind: 'delete', target_seq: seq });
  }

  /** Sets our reaction on `seq` to `emoji`; '' removes it. */
  react(chatId, seq, emoji) {
    return this.queue(chatId, emoji, { kind: 'reaction', target_seq: seq });
  }

  queue(chatId, text, extra) {
    if (!extra.kind || extra.kind === 'edit') {
      const problem = checkText(text);
      if (problem) return problem;
    }
    const state = this.store.chat(chatId);
    if (!state || state.removed) return 'You are not a member of this chat.';
    state.actionError = null;
    const entry = this.outbox.add(chatId, text, extra);
    this.conn?.sendEntry(entry);
    this.lastTypingSent.delete(chatId);
    return null;
  }

  /** Message `seq` of a chat in its current state: held, or fetched (a reply's quote). */
  async fetchMessage(chatId, seq) {
    const state = this.store.chat(chatId);
    const held = state?.messages.get(seq);
    if (held) return held;
    const [m] = await this.api.history(chatId, { after: seq - 1, limit: 1 });
    return m?.seq === seq ? m : null;
  }

  retrySend(clientMsgId) {
    const entry = this.outbox.retry(clientMsgId);
    if (entry) this.conn?.sendEntry(entry);
  }

  discardSend(clientMsgId) {
    this.outbox.take(clientMsgId);
  }

  /** Moves our read marker: at once for display, and on the server once per new seq. */
  markRead(chatId, seq) {
    const state = this.store.chat(chatId);
    if (!state || !state.readable) return;
    if (seq > state.read_seq) {
      state.read_seq = seq;
      this.store.emit('chats');
    }
    if (seq <= state.reported_read) return;
    state.reported_read = seq;
    // Throttled: the first read goes out at once, a burst after it (acks, a fast
    // scroll) becomes one frame per chat at the end of the window.
    this.pendingReads.set(chatId, seq);
    if (!this.readTimer) this.readWindow();
  }

  readWindow() {
    this.flushReads();
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      if (this.pendingReads.size && this.conn?.isLive) this.readWindow();
    }, READ_DELAY_MS);
  }

  /** Sends the pending read markers; those that cannot go now wait for the next welcome. */
  flushReads() {
    for (const [chatId, seq] of this.pendingReads) {
      if (this.conn?.send({ type: 'read', chat_id: chatId, seq })) this.pendingReads.delete(chatId);
    }
  }

  /** Called on input in the composer: tells the others at most every few seconds. */
  typing(chatId) {
    const now = Date.now();
    if (now - (this.lastTypingSent.get(chatId) ?? 0) < TYPING_SEND_EVERY_MS) return;
    if (this.conn?.send({ type: 'typing', chat_id: chatId })) this.lastTypingSent.set(chatId, now);
  }

  // ---- chats ----

  /**
   * Fetches the chat list. It has every chat we are in and every one that
   * ended for us; one known before the request and absent from the answer
   * was removed from the list on another device while we were away.
   */
  refreshChats() {
    if (this.refreshRun) {
      this.refreshAgain = true;
      return this.refreshRun;
    }
    this.refreshRun = (async () => {
      const { store } = this;
      const knownBefore = new Set(store.chats.keys());
      const list = await this.api.listChats();
      if (!store.session) return;
      const ids = new Set();
      for (const info of list) {
        if (this.forgotten.has(info.chat_id) && info.ended) continue; // removed here after the list was read
        this.forgotten.delete(info.chat_id);
        store.upsertChat(info);
        ids.add(info.chat_id);
      }
      for (const id of knownBefore) if (!ids.has(id) && store.chats.has(id)) this.dropChat(id);
      // A chat's newest message came with the list: received here (a new
      // device gets no backlog of what was said before it logged in).
      this.receipts.received(list.filter((info) => info.last_message).map((info) => ({ ...info.last_message, chat_id: info.chat_id })));
      store.chatsLoaded = true;
      store.emit('chats');
      this.loadPresence(store.directPeers());
      await this.loadPreviews([...store.chats.values()]);
      for (const state of store.chats.values()) if (state.loaded) this.fillGaps(state.id);
      const open = store.chat(store.openChatId);
      if (open && !open.loaded) this.openChat(open.id);
    })()
      .catch((e) => {
        if (!(e instanceof ApiError) || e.status !== 401) this.store.emit('chats');
      })
      .finally(() => {
        this.refreshRun = null;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.refreshChats();
        }
      });
    return this.refreshRun;
  }

  /** Fetches one chat as shown to us (read marker, unread count, mute); one request at a time per chat. */
  refreshChat(chatId) {
    this.chatRuns ??= new Map();
    const running = this.chatRuns.get(chatId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const run = { again: false };
    run.done = (async () => {
      do {
        run.again = false;
        const info = await this.api.getChat(chatId);
        const known = this.store.chat(chatId);
        if (!this.store.session || !known || this.forgotten.has(chatId)) return;
        const state = this.store.upsertChat(info);
        this.store.emit('chats');
        // Opened before it ended for us (its ended view says what we may read).
        if (this.store.openChatId === chatId && state.readable && !state.loaded) this.loadNewest(chatId);
      } while (run.again);
    })()
      .catch(() => {}) // the next list fetch (every welcome) brings it
      .finally(() => this.chatRuns.delete(chatId));
    this.chatRuns.set(chatId, run);
    return run.done;
  }

  /** The newest message of each chat, for previews and ordering (chat objects
   *  carry it; this fills in any chat whose preview is still behind: newer
   *  entries than the server's answer that are not all held). */
  async loadPreviews(states) {
    const todo = states.filter((s) => s.readable && s.last_seq > Math.max(s.preview?.seq ?? 0, s.previewAt));
    const worker = async () => {
      for (let s = todo.shift(); s; s = todo.shift()) {
        try {
          // The newest message, past any actions on it.
          const newest = (await this.api.history(s.id, { limit: 20 })).find(isShown);
          if (newest && (!s.preview || newest.seq > s.preview.seq)) s.preview = newest;
        } catch {
          // previews are cosmetic
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    this.store.emit('chats');
  }

  async loadPresence(userIds) {
    if (!userIds.length) return;
    const asked = Date.now();
    try {
      for (const p of await this.api.presence(userIds)) {
        const known = this.store.presence.get(p.user_id);
        if (known && known.at > asked) continue; // a live frame is newer
        this.store.presence.set(p.user_id, { status: p.status, last_active_at: p.last_active_at, at: asked });
      }
      this.store.emit('presence');
    } catch {
      // frames keep presence current once subscribed
    }
  }

  adoptPeer(state) {
    const peer = this.store.peerOf(state);
    if (!peer) return;
    this.conn?.send({ type: 'presence_subscribe', user_ids: [peer] });
    this.loadPresence([peer]);
  }

  /** Adds a chat object from a REST answer (the `chat` event may come before or after). */
  adopt(info) {
    const known = this.store.chats.get(info.chat_id);
    const state = this.store.upsertChat(info);
    if (!known || known.removed !== state.removed) this.adoptPeer(state);
    this.store.emit('chats');
    return state;
  }

  async findUser(email) {
    try {
      return await this.api.findUserByEmail(email.trim());
    } catch (e) {
      if (e.code === 'not_found') throw new ApiError(404, 'not_found', `Nobody has signed up with ${email.trim()}.`);
      throw e;
    }
  }

  async startDirectChat(email) {
    const user = await this.findUser(email);
    if (user.user_id === this.store.me) throw new ApiError(400, 'invalid_request', 'That is your own address: enter someone else’s.');
    return this.adopt(await this.api.createDirectChat(user.user_id)).id;
  }

  /** Creates a group; `emails` may name unknown users, reported all at once. */
  async createGroup(name, emails) {
    const ids = [];
    const unknown = [];
    for (const email of emails) {
      try {
        const user = await this.api.findUserByEmail(email);
        if (user.user_id !== this.store.me && !ids.includes(user.user_id)) ids.push(user.user_id);
      } catch (e) {
        if (e.code !== 'not_found') throw e;
        unknown.push(email);
      }
    }
    if (unknown.length) {
      const e = new ApiError(404, 'not_found', `Nobody has signed up with ${unknown.join(', ')}.`);
      e.field = 'members';
      throw e;
    }
    return this.adopt(await this.api.createGroup(name, ids)).id;
  }

  async addMember(chatId, email) {
    const user = await this.findUser(email);
    this.adopt(await this.api.addMember(chatId, user.user_id));
  }

  async removeMember(chatId, userId) {
    await this.api.removeMember(chatId, userId);
    const state = this.store.chat(chatId);
    if (state) {
      const info = { ...state.info, members: state.info.members.filter((m) => m.user_id !== userId) };
      delete info.read_seq;
      this.store.upsertChat(info);
      this.store.emit('chats');
      this.store.emit('messages', chatId);
    }
  }

  /** Renames a group (admins); the `chat` event and the timeline line tell every member. */
  async renameGroup(chatId, name) {
    this.adopt(await this.api.renameGroup(chatId, name));
  }

  /** Makes a member an admin ('admin') or not ('member'); admins only. */
  async setRole(chatId, userId, role) {
    this.adopt(await this.api.setRole(chatId, userId, role));
  }

  /** Mutes a chat for us until `until` (ms), or until unmuted when null; our other devices hear of it. */
  async mute(chatId, until) {
    this.adopt(await this.api.mute(chatId, until));
  }

  async unmute(chatId) {
    this.adopt(await this.api.unmute(chatId));
  }

  // ---- privacy ----

  /** Accepts a message request; our other devices hear of it (`accepted`). */
  async acceptChat(chatId) {
    this.adopt(await this.api.acceptChat(chatId));
    // Typing before this reached nobody: the next keystroke says it, unthrottled.
    this.lastTypingSent.delete(chatId);
  }

  /** Fetches whom we block (each start and reconnection: it may change on another device). */
  async loadBlocks() {
    try {
      const users = await this.api.blocks();
      if (this.store.session) this.store.setBlocked(users);
    } catch {
      // the next welcome asks again
    }
  }

  /** Blocks a user: we no longer get their messages in our direct chat, nor write to them. */
  async block(userId) {
    this.store.setBlocked(await this.api.block(userId));
  }

  async unblock(userId) {
    this.store.setBlocked(await this.api.unblock(userId));
  }

  /** Who sees when we are online: 'everyone', 'contacts' or 'nobody'. */
  async setPresenceVisibility(visibility) {
    const me = await this.api.setPresenceVisibility(visibility);
    this.store.presenceVisibility = me.presence_visibility ?? visibility;
    return this.store.presenceVisibility;
  }

  /** Leaves a group: it stays in the list, ended, its history readable up to now. */
  async leaveGroup(chatId) {
    await this.api.removeMember(chatId, this.store.me);
    const state = this.store.chat(chatId);
    if (state && !state.removed) {
      const info = { ...state.info, members: state.info.members.filter((m) => m.user_id !== this.store.me) };
      delete info.read_seq;
      this.store.upsertChat(info);
      state.typing.clear();
      this.store.emit('chats');
    }
    // The `member_removed` event asks too; this device need not wait for it.
    await this.refreshChat(chatId);
  }

  /**
   * Removes a chat that ended for us from the list, for good: its history is
   * no longer ours to read. Our other devices hear of it (`forgotten`).
   */
  async removeEndedChat(chatId) {
    try {
      await this.api.forgetChat(chatId);
    } catch (e) {
      // Already gone on the server (another device was quicker): gone here too.
      if (e.code !== 'not_found' && e.code !== 'forbidden') throw e;
    }
    this.forgetChat(chatId);
  }

  /** Drops a chat from the list; `chat` events about it are ignored until we are added again. */
  forgetChat(chatId) {
    this.forgotten.add(chatId);
    this.dropChat(chatId);
  }

  /** Drops a chat from the store, with any of its messages still waiting to be sent. */
  dropChat(chatId) {
    const state = this.store.chat(chatId);
    if (!state) return;
    this.store.chats.delete(chatId);
    for (const entry of this.outbox?.forChat(chatId) ?? []) this.outbox.take(entry.client_msg_id);
    if (this.store.openChatId === chatId) this.closeChat();
    this.store.emit('chats');
  }
}

/** Why a text cannot be sent, or null. */
export function checkText(text) {
  if (!text.trim()) return 'Type a message first.';
  const bytes = utf8Length(text);
  if (bytes > MAX_TEXT_BYTES) {
    return `This message is too long: ${bytes.toLocaleString()} bytes, the limit is ${MAX_TEXT_BYTES.toLocaleString()}. Shorten it by ${(bytes - MAX_TEXT_BYTES).toLocaleString()} bytes or split it.`;
  }
  return null;
}

function describeActionError({ code, message }) {
  switch (code) {
    case 'not_found':
      return 'That message was deleted or is gone.';
    case 'forbidden':
      return 'You can only change your own messages.';
    default:
      return describeSendError({ code, message });
  }
}

function describeSendError({ code, message }) {
  switch (code) {
    case 'text_too_long':
      return 'Too long for this server.';
    case 'forbidden':
      return 'You are no longer a member of this chat.';
    case 'invalid_utf8':
    case 'empty_text':
      return 'The server refused this text.';
    default:
      return message || code;
  }
}
