// The WebSocket session with parleyd (docs/protocol.md, "WebSocket"):
// hello with the stored resume cursor, heartbeats at the interval the server
// announces, a liveness probe, reconnection with exponential backoff and random
// jitter, and the outbox of sends that are not yet acknowledged.
//
// In a cluster the socket goes to the user's home node: `route()` (GET
// /v1/route) is asked before every connection, and a `move` frame from a node
// that leaves the cluster is followed at once, with the same cursor. When the
// route names the node this device just lost, or one it could not reach (the
// ring keeps a dead node until ZooKeeper's session timeout), the socket goes
// to the node that answered the route instead: any node serves any user.
//
// Delivery guarantees live in two places: the Outbox keeps every send until its
// ack (or a message carrying its client_msg_id) arrives and resends it with the
// same client_msg_id after each reconnect, so the server never stores it twice;
// the client (client.js) deduplicates what it displays by (chat_id, seq) and by
// client_msg_id, and fills seq gaps from history.

export const BACKOFF = { baseMs: 1000, maxMs: 15000 };
const HELLO_TIMEOUT_MS = 10000;
// The shortest wait for the answer to a liveness probe.
const PROBE_ANSWER_MIN_MS = 2000;
const RESEND_AFTER_MS = 10000; // an unacked send is resent (same client_msg_id) after this

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt, { baseMs, maxMs } = BACKOFF, random = Math.random) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The WebSocket endpoint of a node given by its http(s) URL (from /v1/route or a move frame). */
export function webSocketUrl(nodeUrl) {
  return `${nodeUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/ws`;
}

/**
 * Where to connect after the route answered (docs/cluster.md): its home node,
 * unless that is one of `unusable` (the node just lost, nodes that could not be
 * reached) and another node answered; then the node that answered, which is
 * alive and serves any user. All three are ws URLs.
 */
export function reconnectTarget(home, answeredBy, unusable) {
  if (home === answeredBy || !unusable.includes(home)) return home;
  return answeredBy;
}

/** A client_msg_id: 128 random bits, URL-safe. Works outside secure contexts too. */
export function newClientMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Sends that the server has not acknowledged yet, in the order they were made.
 * Persisted (through `storage`) so that they survive a reload as well as a disconnect.
 * Entry: {client_msg_id, chat_id, text, created_at, state: 'pending'|'failed', error, sent_at}.
 */
export class Outbox {
  constructor(storage, onChange = () => {}) {
    this.storage = storage;
    this.onChange = onChange;
    this.entries = (storage.load() ?? []).map((e) => ({ ...e, sent_at: 0 }));
  }

  /** `extra`: an action's `kind` and `target_seq`, or a reply's `reply_to` (docs/protocol.md). */
  add(chatId, text, extra = {}) {
    const entry = { client_msg_id: newClientMsgId(), chat_id: chatId, text, created_at: Date.now(), state: 'pending', error: null, sent_at: 0, ...extra };
    this.entries.push(entry);
    this.changed();
    return entry;
  }

  get(clientMsgId) {
    return this.entries.find((e) => e.client_msg_id === clientMsgId);
  }

  /** Removes and returns the entry, if present: its message is now stored on the server. */
  take(clientMsgId) {
    const i = this.entries.findIndex((e) => e.client_msg_id === clientMsgId);
    if (i < 0) return null;
    const [entry] = this.entries.splice(i, 1);
    this.changed();
    return entry;
  }

  fail(clientMsgId, error) {
    const entry = this.get(clientMsgId);
    if (!entry) return;
    entry.state = 'failed';
    entry.error = error;
    this.changed();
  }

  retry(clientMsgId) {
    const entry = this.get(clientMsgId);
    if (!entry) return null;
    entry.state = 'pending';
    entry.error = null;
    entry.sent_at = 0;
    this.changed();
    return entry;
  }

  pending() {
    return this.entries.filter((e) => e.state === 'pending');
  }

  forChat(chatId) {
    return this.entries.filter((e) => e.chat_id === chatId);
  }

  clear() {
    this.entries = [];
    this.changed();
  }

  changed() {
    this.storage.save(this.entries.map(({ sent_at, ...rest }) => rest));
    this.onChange();
  }
}

/**
 * One logical connection that keeps itself up until stop().
 * status: 'connecting' → 'syncing' (backlog after a resumed hello) → 'live';
 * 'waiting' between attempts (retryAt says when); 'stopped' after stop() or 4401.
 */
export class Connection {
  /**
   * @param {object} o
   * @param {string} o.url                 ws:// or wss:// URL of /v1/ws
   * @param {() => string} o.getToken
   * @param {{get(): string|null, set(c: string): void}} o.cursor  resume cursor storage
   * @param {Outbox} o.outbox
   * @param {(frame: object) => void} o.onFrame   every server frame; its cursor is saved after this returns
   * @param {(c: Connection) => void} o.onStatus
   * @param {() => void} o.onUnauthorized  closed with 4401: the token is no longer valid
   * @param {() => Promise<{url: string, answeredBy: string, nodes?: string[]}|null>} [o.route]
   *   in a cluster: the home node's ws URL, the ws URL of the node that answered and every live node's;
   *   null on a single node; rejects when no node could be asked
   */
  constructor({ url, getToken, cursor, outbox, onFrame, onStatus, onUnauthorized, route }) {
    Object.assign(this, { url, getToken, cursor, outbox, onFrame, onStatus, onUnauthorized, route });
    this.status = 'stopped';
    this.ws = null;
    this.attempt = 0;
    this.retryAt = 0;
    this.retryTimer = null;
    this.tickTimer = null;
    this.movedTo = null;
    this.socketUrl = null; // where the current (or last) socket went
    this.unusable = []; // ws URLs lost or unreachable since the last welcome
    this.knownNodes = []; // ws URLs of the live nodes, from the last route answer
    this.helloTimer = null;
    this.heartbeatMs = 5000;
    this.userId = null;
    this.lastFrameAt = 0;
    this.lastTickAt = 0;
    this.probeSentAt = 0;
    this.onOnline = () => this.retryNow();
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.retryNow();
    };
  }

  start() {
    if (this.status !== 'stopped') return;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop() {
    this.setStatus('stopped');
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.retryTimer);
    this.dropSocket(1000, 'bye');
  }

  /** Cuts a backoff wait short (user asked, or the network came back). */
  retryNow() {
    if (this.status !== 'waiting') return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  get isLive() {
    return this.status === 'live' || this.status === 'syncing';
  }

  /** Sends a frame if the session is established; false otherwise (the caller keeps state). */
  send(frame) {
    if (!this.isLive || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Sends an outbox entry now if possible; otherwise it goes out after the next welcome. */
  sendEntry(entry) {
    if (entry.state !== 'pending') return;
    const frame = { type: 'send', chat_id: entry.chat_id, client_msg_id: entry.client_msg_id, text: entry.text };
    for (const field of ['kind', 'target_seq', 'reply_to']) if (entry[field]) frame[field] = entry[field];
    if (this.send(frame)) {
      entry.sent_at = Date.now();
    }
  }

  // ---- internals ----

  setStatus(status) {
    this.status = status;
    this.onStatus?.(this);
  }

  async connect() {
    this.dropSocket(1000, '');
    this.setStatus('connecting');
    let url = this.movedTo ?? this.url;
    this.movedTo = null;
    if (url === this.url && this.route) {
      try {
        const answer = await this.route();
        if (answer) {
          this.knownNodes = answer.nodes ?? this.knownNodes;
          url = reconnectTarget(answer.url, answer.answeredBy, this.unusable);
        }
      } catch {
        // No node answered: try a live node of the last answer; failing that,
        // this one (its socket fails and the backoff asks again).
        url = this.knownNodes.find((node) => !this.unusable.includes(node)) ?? this.url;
      }
      if (this.status !== 'connecting' || this.ws) return; // stopped, or connected meanwhile
    }
    this.socketUrl = url;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const hello = { type: 'hello', token: this.getToken() };
      const cursor = this.cursor.get();
      if (cursor) hello.cursor = cursor;
      this.resumed = Boolean(cursor);
      ws.send(JSON.stringify(hello));
      this.helloTimer = setTimeout(() => this.fail('no welcome'), HELLO_TIMEOUT_MS);
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closed(ev.code, ev.reason);
    ws.onerror = () => {}; // a close event follows
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    this.lastFrameAt = Date.now();
    this.probeSentAt = 0;
    if (frame.type === 'move' && typeof frame.url === 'string') {
      // The node spread its devices' moves over time already: go now.
      this.movedTo = webSocketUrl(frame.url);
      this.connect();
      return;
    }
    if (frame.type === 'welcome') {
      clearTimeout(this.helloTimer);
      this.attempt = 0;
      this.unusable = [];
      this.userId = frame.user_id;
      this.heartbeatMs = Math.max(250, Number(frame.heartbeat_interval_ms) || 5000);
      this.startTicking();
      this.setStatus(this.resumed ? 'syncing' : 'live');
    }
    this.onFrame(frame);
    // The frame is processed: its cursor is now a safe resume point.
    if (typeof frame.cursor === 'string' && frame.cursor) this.cursor.set(frame.cursor);
    if (frame.type === 'welcome') {
      for (const entry of this.outbox.pending()) this.sendEntry(entry);
    } else if (frame.type === 'synced') {
      this.setStatus('live');
    }
  }

  startTicking() {
    clearInterval(this.tickTimer);
    this.lastTickAt = Date.now();
    this.ticks = 0;
    // Twice per heartbeat interval, so that a dead line is noticed within
    // about two intervals (see tick()).
    this.tickTimer = setInterval(() => this.tick(), this.heartbeatMs / 2);
  }

  /** How long the probe may go unanswered: a cluster answers it from Redis, within a second. */
  probeAnswerMs() {
    return Math.max(this.heartbeatMs / 2, PROBE_ANSWER_MIN_MS);
  }

  tick() {
    const now = Date.now();
    const late = now - this.lastTickAt > 3 * this.heartbeatMs; // timers were throttled or the machine slept
    this.lastTickAt = now;
    if (this.ticks++ % 2 === 0 || late) this.send({ type: 'heartbeat' });
    for (const entry of this.outbox.pending()) {
      if (now - entry.sent_at > RESEND_AFTER_MS) this.sendEntry(entry);
    }
    // The server answers heartbeats with nothing; when the line has been quiet
    // for an interval, ask for our own presence (answered at once) to learn
    // that it still works: a dead line is given up within about two heartbeat
    // intervals of its last frame, and "Connecting…" shows. The tick at the
    // end of the answer time may come a little early (timer jitter): 90 %.
    if (this.probeSentAt && !late) {
      if (now - this.probeSentAt >= 0.9 * this.probeAnswerMs()) this.fail('no answer from the server');
    } else if (late || now - this.lastFrameAt >= 0.9 * this.heartbeatMs) {
      if (this.userId && this.send({ type: 'presence_subscribe', user_ids: [this.userId] })) this.probeSentAt = now;
    }
  }

  /** Gives up on the current socket without waiting for a close handshake. */
  fail(reason) {
    this.markUnusable();
    this.dropSocket(4000, reason);
    if (this.status !== 'stopped') this.scheduleReconnect();
  }

  dropSocket(code, reason) {
    clearTimeout(this.helloTimer);
    clearInterval(this.tickTimer);
    this.probeSentAt = 0;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** The socket's node was lost or could not be reached: a route that still names it is not followed. */
  markUnusable() {
    if (this.socketUrl && !this.unusable.includes(this.socketUrl)) this.unusable.push(this.socketUrl);
  }

  closed(code) {
    this.markUnusable();
    this.dropSocket(1000, '');
    if (this.status === 'stopped') return;
    if (code === 4401) {
      this.setStatus('stopped');
      this.onUnauthorized?.();
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt++);
    this.retryAt = Date.now() + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setStatus('waiting');
  }
}
