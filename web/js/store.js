// Application state: the session, chats with their loaded messages, presence,
// typing and other members' receipts, and the connection status. Components subscribe to
// change notifications; nothing here talks to the network.
//
// What is persisted (localStorage, keys "parley.*", cleared at logout):
//   parley.session   {token, user_id, device_id, email, display_name}
//   parley.cursor    the newest resume cursor processed by this device
//   parley.outbox    sends not yet acknowledged (connection.js)
// Other members' read and delivery markers are not persisted: they are the
// server's (receipts.js). A "parley.receipts" key left by an older version is
// removed at logout like the rest.

import { isShown } from './actions.js';

const PREFIX = 'parley.';
/** What an erased account is called: it has no name any more. */
export const DELETED_NAME = 'Deleted account';

export class Store {
  constructor(storage = window.localStorage) {
    this.storage = storage;
    this.listeners = new Set();
    this.session = this.read('session');
    this.resetData();
  }

  resetData() {
    /** @type {Map<string, ChatState>} */
    this.chats = new Map();
    this.users = new Map(); // user_id → display_name, from every chat object seen
    this.deletedUsers = new Set(); // users whose account an operator erased (members with `deleted`)
    this.presence = new Map(); // user_id → {status, last_active_at}
    this.connection = { status: 'stopped', retryAt: 0 };
    this.openChatId = null;
    this.chatsLoaded = false;
    this.blocked = new Map(); // user_id → display_name: the users we block (GET /v1/blocks)
    this.presenceVisibility = null; // 'everyone' | 'contacts' | 'nobody' once /v1/me answered
  }

  // ---- persistence ----
  read(key) {
    try {
      const raw = this.storage.getItem(PREFIX + key);
      return raw === null ? null : JSON.parse(raw);
    } catch {
      return null;
    }
  }

  write(key, value) {
    try {
      if (value === null || value === undefined) this.storage.removeItem(PREFIX + key);
      else this.storage.setItem(PREFIX + key, JSON.stringify(value));
    } catch {
      // storage full or unavailable: the app still works for this page's life
    }
  }

  setSession(session) {
    this.session = session;
    this.write('session', session);
    this.emit('session');
  }

  /** Forgets everything about the logged-in user (logout, or a revoked token). */
  clearSession() {
    for (const key of ['session', 'cursor', 'outbox', 'receipts']) this.write(key, null);
    this.session = null;
    this.resetData();
    this.emit('session');
  }

  cursorStorage() {
    return { get: () => this.read('cursor'), set: (c) => this.write('cursor', c) };
  }

  outboxStorage() {
    return { load: () => this.read('outbox'), save: (entries) => this.write('outbox', entries) };
  }

  // ---- notifications ----
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Whether the app is connected (it may show presence; otherwise "Connecting…"). */
  get connected() {
    return this.connection.status === 'live' || this.connection.status === 'syncing';
  }

  /** A user's presence as the app may show it: none while the app itself is disconnected (it cannot know). */
  shownPresence(userId) {
    return this.connected ? (this.presence.get(userId) ?? null) : null;
  }

  /** topic: 'session' | 'connection' | 'chats' | 'messages' | 'presence' | 'typing' | 'open'; detail: usually a chat_id */
  emit(topic, detail) {
    for (const fn of this.listeners) fn(topic, detail);
  }

  // ---- chats ----
  get me() {
    return this.session?.user_id ?? null;
  }

  chat(chatId) {
    return this.chats.get(chatId) ?? null;
  }

  /** Inserts or updates a chat from a server chat object; returns its state. */
  upsertChat(info) {
    for (const m of info.members ?? []) {
      if (m.deleted) this.deletedUsers.add(m.user_id);
      else this.users.set(m.user_id, m.display_name);
    }
    let state = this.chats.get(info.chat_id);
    if (!state) {
      state = new ChatState(info, this.me);
      this.chats.set(info.chat_id, state);
    } else {
      state.info = info;
    }
    state.last_seq = Math.max(state.last_seq, info.last_seq ?? 0);
    // Previews only from the chat as shown to us: a `chat` event's chat is
    // the same for every member, and its last message may be from before we
    // joined (live messages bring the newer ones).
    const newest = typeof info.read_seq === 'number' ? info.last_message : null;
    if (newest && (!state.preview || newest.seq > state.preview.seq)) state.preview = newest;
    if (typeof info.read_seq === 'number') {
      // The chat as shown to us (the list, GET, a mute): our marker, our
      // unread count and our mute. A `chat` event to every member has none of them.
      state.read_seq = Math.max(state.read_seq, info.read_seq);
      state.reported_read = Math.max(state.reported_read, info.read_seq);
      state.muted_until = typeof info.muted_until === 'number' ? info.muted_until : 0;
      if (typeof info.unread === 'number') state.counted = { read_seq: info.read_seq, last_seq: info.last_seq ?? 0, unread: info.unread };
      // Its last_message is the newest text message up to its last_seq (null: none we may see).
      if ('last_message' in info) state.previewAt = Math.max(state.previewAt, info.last_seq ?? 0);
      // A message request for us until we reply or accept (shown to us only).
      state.request = info.request === true;
    }
    const member = (info.members ?? []).some((m) => m.user_id === this.me);
    if (typeof info.read_seq === 'number' || 'ended' in info) {
      // The chat as shown to us says whether it ended for us (its members are
      // then those of when we left, which may list us).
      state.ended = info.ended === true;
      state.ended_seq = state.ended ? (Number.isInteger(info.ended_seq) ? info.ended_seq : info.last_seq ?? 0) : null;
    } else if (member) {
      // An event's chat (the same for every member) that lists us: a member
      // again. One without us leaves the ended view as it was.
      state.ended = false;
      state.ended_seq = null;
    }
    if (state.ended) state.endAt(state.ended_seq);
    state.removed = Boolean(this.me) && (state.ended || !member);
    return state;
  }

  /**
   * A user's name as shown; `state`, the chat it is shown in, tells an erased
   * account (no name any more) from someone who left and shares no chat with us.
   */
  userName(userId, state = null) {
    if (userId === this.me) return this.session?.display_name ?? 'You';
    if (this.deletedUsers.has(userId)) return DELETED_NAME;
    const name = this.users.get(userId);
    if (name) return name;
    return state && this.hasDeletedMember(state) ? DELETED_NAME : 'Former member';
  }

  /** The name of a member of a chat object. */
  memberName(m) {
    return m.deleted ? DELETED_NAME : this.userName(m.user_id);
  }

  /** Whether a chat lists an erased account among its members. */
  hasDeletedMember(state) {
    return state.info.members.some((m) => m.deleted || this.deletedUsers.has(m.user_id));
  }

  /** Whether the other member of a direct chat is an erased account. */
  peerDeleted(state) {
    const peer = this.peerOf(state);
    return Boolean(peer) && this.deletedUsers.has(peer);
  }

  /** The other member of a direct chat. */
  peerOf(state) {
    if (state.info.kind !== 'direct') return null;
    return state.info.members.find((m) => m.user_id !== this.me)?.user_id ?? null;
  }

  title(state) {
    if (state.info.kind === 'group') return state.info.name || 'Unnamed group';
    const peer = this.peerOf(state);
    return peer ? this.userName(peer) : 'Direct chat';
  }

  /** Whether we muted the chat and the mute is still in force. */
  isMuted(state, now = Date.now()) {
    return state.muted_until > now;
  }

  /** Whether we block the other member of a direct chat. */
  isBlocked(state) {
    const peer = this.peerOf(state);
    return Boolean(peer) && this.blocked.has(peer);
  }

  setBlocked(users) {
    this.blocked = new Map(users.map((u) => [u.user_id, u.display_name]));
    this.emit('chats');
  }

  isAdmin(state) {
    return !state.removed && state.info.members.some((m) => m.user_id === this.me && m.role === 'admin');
  }

  /** Chats, newest activity first. */
  sortedChats() {
    return [...this.chats.values()].sort((a, b) => b.activity() - a.activity() || a.id.localeCompare(b.id));
  }

  directPeers() {
    const peers = new Set();
    for (const state of this.chats.values()) {
      const peer = this.peerOf(state);
      if (peer && !state.removed && !this.deletedUsers.has(peer)) peers.add(peer);
    }
    return [...peers];
  }

  /** Typists of a chat whose typing frame is still fresh. */
  typists(state, now = Date.now()) {
    const out = [];
    for (const [userId, until] of state.typing) if (until > now) out.push(userId);
    return out;
  }
}

export class ChatState {
  constructor(info, me = null) {
    this.id = info.chat_id;
    this.me = me; // the logged-in user: their own messages are never unread
    this.info = info;
    this.last_seq = 0;
    this.read_seq = 0; // our read marker as displayed (own messages count as read)
    this.reported_read = 0; // the highest marker the server has from us
    /** @type {Map<number, object>} seq → message; the one place a message is kept: dedupe by (chat_id, seq) */
    this.messages = new Map();
    this.loaded = false; // newest page fetched: `messages` is a contiguous window up to last_seq
    this.hasOlder = true;
    this.loadingOlder = false;
    this.preview = null; // newest message known
    this.previewAt = 0; // the seq up to which the server said which message is the newest
    /** @type {Map<string, {read_seq, delivered_seq, joined_seq}>|null} other members' markers, the server's (receipts.js); null until fetched */
    this.markers = null;
    this.typing = new Map(); // user_id → ms until which "is typing" shows
    this.removed = false; // we are not a member (removed, or left): nothing may be sent
    // Ended for us (the server's `ended`): we were a member and may still read
    // the history up to ended_seq, and mark it read; nothing after it comes.
    this.ended = false;
    this.ended_seq = null;
    this.request = false; // a direct chat someone opened with us, not yet accepted
    // Seqs the server will never give us (withheld from us: a blocked user's
    // messages), found as holes in history pages; never fetched again.
    this.absent = new Set();
    this.muted_until = 0; // ms; a time in the past: not muted
    // The server's count of our unread messages, {read_seq, last_seq, unread}:
    // text messages of others in (read_seq, last_seq] when the chat was last
    // shown to us. Entries after last_seq are counted here, as they arrive.
    this.counted = null;
  }

  /**
   * Text messages of others after our read marker. Actions, timeline lines
   * and our own messages take seqs but never count. The server's count covers
   * what it saw; the entries after it (live ones) are counted from those held;
   * an entry not held counts as a message until it is known.
   */
  unread() {
    if ((this.removed && !this.ended) || this.last_seq <= this.read_seq) return 0;
    const c = this.counted;
    let from = this.read_seq;
    let base = 0;
    if (c && c.last_seq > this.read_seq && c.read_seq <= this.read_seq) {
      // Read up to read_seq since the count (another device, or here): the
      // count's part after read_seq is at most what is left of it.
      base = c.read_seq === this.read_seq ? c.unread : Math.min(c.unread, this.countBetween(this.read_seq, c.last_seq));
      from = c.last_seq;
    }
    return base + this.countBetween(from, this.last_seq);
  }

  /** Unread messages in (after, upTo] from the entries held; an entry not held counts. */
  countBetween(after, upTo) {
    if (upTo <= after) return 0;
    let held = 0;
    let messages = 0;
    for (const [seq, m] of this.messages) {
      if (seq <= after || seq > upTo) continue;
      held++;
      if (isShown(m) && m.sender_id !== this.me) messages++;
    }
    for (const seq of this.absent) if (seq > after && seq <= upTo && !this.messages.has(seq)) held++;
    return messages + (upTo - after - held);
  }

  /** Whether its history may be read: a member's chat, or one that ended for us. */
  get readable() {
    return !this.removed || this.ended;
  }

  /** Nothing after `seq` is ours to read: what is held past it goes, and the count stops there. */
  endAt(seq) {
    for (const held of [...this.messages.keys()]) if (held > seq) this.messages.delete(held);
    for (const held of [...this.absent]) if (held > seq) this.absent.delete(held);
    if (this.last_seq > seq) this.last_seq = seq;
    if (this.read_seq > seq) this.read_seq = seq;
    if (this.counted && this.counted.last_seq > seq) this.counted = null;
  }

  activity() {
    return this.preview?.ts ?? this.info.created_at ?? 0;
  }

  sortedMessages() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  oldestSeq() {
    let min = Infinity;
    for (const seq of this.messages.keys()) if (seq < min) min = seq;
    return min === Infinity ? 0 : min;
  }

  newestSeq() {
    let max = 0;
    for (const seq of this.messages.keys()) if (seq > max) max = seq;
    return max;
  }

  /** The newest seq held or known to be absent. */
  newestKnown() {
    let max = this.newestSeq();
    for (const seq of this.absent) if (seq > max) max = seq;
    return max;
  }

  /**
   * Records as absent the seqs in (after, upTo] that a history answer covering
   * that range did not return: the server withholds them from us.
   */
  markAbsent(after, upTo, returned) {
    const got = new Set(returned.map((m) => m.seq));
    for (let seq = after + 1; seq <= upTo; seq++) if (!got.has(seq) && !this.messages.has(seq)) this.absent.add(seq);
  }

  /** The seq after which the first hole of the window starts, or null if contiguous (absent seqs are no hole). */
  firstGapAfter() {
    const seqs = [...new Set([...this.messages.keys(), ...this.absent])].sort((a, b) => a - b);
    for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1] + 1) return seqs[i - 1];
    return null;
  }
}
