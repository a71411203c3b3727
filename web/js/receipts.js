// Receipts (docs/protocol.md, "Receipts"): what this device reports, and what
// the other members' markers say about our own messages.
//
// Reporting: every entry of someone else that reaches this device (live, in
// the resume backlog, through a history or gap fetch) moves the chat's
// "delivered" position; one `delivered` frame per chat goes out per burst
// (REPORT_DELAY_MS), never one per message. A report the socket cannot take
// waits for the next welcome.
//
// Showing: the markers are the server's only — GET /v1/chats/{id}/receipts on
// opening a chat and after each reconnection, then the live `receipt` (read)
// and `delivered` frames. A member the server does not list (a block, a
// message request) never counts as having received or read anything: nothing
// is invented. Nothing is persisted: a reload or another login asks again.

const REPORT_DELAY_MS = 100;

/** What a chat's markers say of our message `seq`: 'sent' | 'delivered' | 'read'. */
export function receiptState(markers, members, me, seq) {
  const counted = countedMembers(markers, members, me, seq);
  if (!counted.length) return 'sent';
  if (counted.every((r) => r.read_seq >= seq)) return 'read';
  if (counted.every((r) => r.delivered_seq >= seq)) return 'delivered';
  return 'sent';
}

/**
 * Who counts for our message `seq` (the members other than us who were in the
 * chat before it: joined_seq < seq) with their markers, in member order; a
 * member the server did not list has none.
 */
export function countedMembers(markers, members, me, seq) {
  const out = [];
  for (const m of members) {
    if (m.user_id === me) continue;
    const r = markers?.get(m.user_id);
    if (r && r.joined_seq >= seq) continue; // joined after it: never saw it
    out.push({ user_id: m.user_id, read_seq: r?.read_seq ?? 0, delivered_seq: Math.max(r?.delivered_seq ?? 0, r?.read_seq ?? 0), listed: Boolean(r) });
  }
  return out;
}

/** "Read by N of M" and "Delivered to N of M", with the members of each. */
export function receiptSummary(markers, members, me, seq) {
  const counted = countedMembers(markers, members, me, seq);
  return {
    total: counted.length,
    read: counted.filter((r) => r.read_seq >= seq).map((r) => r.user_id),
    delivered: counted.filter((r) => r.delivered_seq >= seq).map((r) => r.user_id),
  };
}

export class Receipts {
  /**
   * @param {import('./store.js').Store} store
   * @param {{send: (frame: object) => boolean, fetch: (chatId: string) => Promise<object[]>}} io
   */
  constructor(store, io) {
    this.store = store;
    this.io = io;
    this.reported = new Map(); // chat_id → newest seq the server has from us
    this.pending = new Map(); // chat_id → newest seq received, not yet reported
    this.timer = null;
    this.loads = new Map(); // chat_id → running fetch
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    this.reported.clear();
    this.loads.clear();
  }

  // ---- reporting ----

  /** `messages` reached this device; those of others move their chat's delivered position. */
  received(messages) {
    const me = this.store.me;
    const newest = new Map();
    for (const m of messages) {
      if (!m?.chat_id || !Number.isInteger(m.seq)) continue;
      newest.set(m.chat_id, Math.max(newest.get(m.chat_id) ?? 0, m.seq));
    }
    let any = false;
    for (const m of messages) {
      if (!m?.chat_id || m.sender_id === me || !Number.isInteger(m.seq)) continue;
      const seq = newest.get(m.chat_id);
      if (seq <= (this.reported.get(m.chat_id) ?? 0) || seq <= (this.pending.get(m.chat_id) ?? 0)) continue;
      this.pending.set(m.chat_id, seq);
      any = true;
    }
    if (any && !this.timer) this.timer = setTimeout(() => this.flush(), REPORT_DELAY_MS);
  }

  /** Sends one frame per chat with something new; what the socket cannot take waits for the next welcome. */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    for (const [chatId, seq] of this.pending) {
      const state = this.store.chat(chatId);
      if (!state || state.removed) {
        this.pending.delete(chatId);
        continue;
      }
      if (this.io.send({ type: 'delivered', chat_id: chatId, seq })) {
        this.pending.delete(chatId);
        this.reported.set(chatId, Math.max(this.reported.get(chatId) ?? 0, seq));
      }
    }
  }

  // ---- markers ----

  /** Fetches a chat's markers (opening it, a reconnection, a member change); one fetch at a time per chat. */
  load(chatId) {
    const running = this.loads.get(chatId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const run = { again: false };
    run.done = (async () => {
      do {
        run.again = false;
        const me = this.store.me;
        const list = await this.io.fetch(chatId);
        const state = this.store.chat(chatId);
        if (!state || !me || this.store.me !== me) return; // logged out meanwhile
        // The server's answer replaces what was known: a member it no longer
        // lists (blocked meanwhile) counts for nothing. Positions never move
        // back, so one a live frame raised past the answer is kept.
        const next = new Map();
        for (const r of list) {
          if (typeof r?.user_id !== 'string') continue;
          const held = state.markers?.get(r.user_id);
          next.set(r.user_id, {
            read_seq: Math.max(r.read_seq ?? 0, held?.read_seq ?? 0),
            delivered_seq: Math.max(r.delivered_seq ?? 0, r.read_seq ?? 0, held?.delivered_seq ?? 0),
            joined_seq: r.joined_seq ?? 0,
          });
        }
        state.markers = next;
        this.store.emit('messages', chatId);
      } while (run.again);
    })()
      .catch(() => {}) // the next opening or welcome asks again
      .finally(() => this.loads.delete(chatId));
    this.loads.set(chatId, run);
    return run.done;
  }

  /** A `receipt` frame: another member read up to read_seq (reading implies receiving). */
  onRead(chatId, userId, readSeq) {
    this.raise(chatId, userId, { read_seq: readSeq, delivered_seq: readSeq });
  }

  /** A `delivered` frame: members' delivery positions. */
  onDelivered({ chat_id: chatId, receipts }) {
    if (!Array.isArray(receipts)) return;
    for (const r of receipts) {
      if (typeof r?.user_id === 'string' && Number.isInteger(r.delivered_seq)) this.raise(chatId, r.user_id, { delivered_seq: r.delivered_seq });
    }
  }

  raise(chatId, userId, { read_seq: readSeq = 0, delivered_seq: deliveredSeq = 0 }) {
    const state = this.store.chat(chatId);
    if (!state || userId === this.store.me) return;
    // Markers not fetched yet: the fetch brings these and each member's joined_seq.
    if (!state.markers) return;
    const r = state.markers.get(userId);
    if (!r) {
      // A member the server's last answer did not list (a block lifted, a
      // request accepted, a new member): its answer has this position too
      // and the member's joined_seq.
      this.load(chatId);
      return;
    }
    r.read_seq = Math.max(r.read_seq, readSeq);
    r.delivered_seq = Math.max(r.delivered_seq, deliveredSeq, r.read_seq);
    state.markers.set(userId, r);
    this.store.emit('messages', chatId);
  }
}
