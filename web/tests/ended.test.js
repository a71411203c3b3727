// Unit tests of a chat that ended for us (js/store.js, js/client.js) under
// Node's own runner. Removed from a group, or having left it, a former member
// keeps it in the list with its history up to `ended_seq`, may mark it read,
// and may remove it from the list for good (DELETE /v1/chats/{id}, the
// `forgotten` event on every device). Being added again starts afresh. And the
// names of erased accounts: "Deleted account", never "Former member".
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Store, DELETED_NAME } from '../js/store.js';
import { Client } from '../js/client.js';
import { ApiError } from '../js/api.js';

const ME = 'me';
const ann = { user_id: 'ann', display_name: 'Ann Lee', role: 'admin' };
const me = { user_id: ME, display_name: 'Bob Stone', role: 'member' };
const cy = { user_id: 'cy', display_name: 'Cy Park', role: 'member' };
const text = (seq, sender = 'ann') => ({ chat_id: 'g', seq, sender_id: sender, text: `m${seq}`, ts: seq });

function memoryStorage() {
  const mem = new Map();
  return { getItem: (k) => mem.get(k) ?? null, setItem: (k, v) => mem.set(k, v), removeItem: (k) => mem.delete(k) };
}

function newStore() {
  const store = new Store(memoryStorage());
  store.session = { token: 't', user_id: ME, device_id: 'd', display_name: me.display_name };
  return store;
}

/** The group as shown to us while a member, and as an event to every member. */
const shown = (extra = {}) => ({ chat_id: 'g', kind: 'group', name: 'Trip', members: [ann, me, cy], last_seq: 5, read_seq: 2, unread: 3, last_message: text(5), created_at: 1, ...extra });
const event = (members, extra = {}) => ({ chat_id: 'g', kind: 'group', name: 'Trip', members, last_seq: 5, created_at: 1, ...extra });
/** Its ended view: the members when we left (here without us), nothing after ended_seq. */
const endedView = (extra = {}) => shown({ members: [ann, cy], ended: true, ended_seq: 5, ...extra });

test('an ended view: not a member, readable up to ended_seq, unread counted up to it', () => {
  const store = newStore();
  const s = store.upsertChat(endedView());
  assert.equal(s.removed, true);
  assert.equal(s.ended, true);
  assert.equal(s.ended_seq, 5);
  assert.equal(s.readable, true);
  assert.equal(s.unread(), 3, 'the server count stands: reading it brings it to 0');
  s.read_seq = 5;
  assert.equal(s.unread(), 0);
  assert.equal(store.isAdmin(s), false);
});

test('an ended view that lists us among the members as they were is still ended', () => {
  const store = newStore();
  const s = store.upsertChat(endedView({ members: [{ ...ann }, { ...me, role: 'admin' }, cy] }));
  assert.equal(s.removed, true);
  assert.equal(store.isAdmin(s), false, 'an admin once is no admin of a chat that ended');
});

test('removed live: an event without us makes the chat removed, not yet readable, until its ended view', () => {
  const store = newStore();
  const s = store.upsertChat(shown());
  for (let seq = 1; seq <= 5; seq++) s.messages.set(seq, text(seq));
  store.upsertChat(event([ann, cy], { last_seq: 6 }));
  assert.equal(s.removed, true);
  assert.equal(s.ended, false);
  assert.equal(s.readable, false);
  assert.equal(s.unread(), 0, 'nothing counted while we do not know up to where we may read');
  // The ended view: whatever is held after ended_seq is not ours, nor counted.
  s.messages.set(6, text(6));
  store.upsertChat(endedView({ read_seq: 2, unread: 3 }));
  assert.equal(s.readable, true);
  assert.equal(s.last_seq, 5);
  assert.equal(s.newestSeq(), 5);
  assert.equal(s.unread(), 3);
  // A later event's chat (the same for every member) does not raise it again.
  store.upsertChat(event([ann, cy], { last_seq: 9 }));
  assert.equal(s.ended, true);
  assert.equal(s.last_seq, 5);
});

test('added again: a member from then on, the ended view gone', () => {
  const store = newStore();
  const s = store.upsertChat(endedView());
  store.upsertChat(event([ann, cy, me], { last_seq: 8 }));
  assert.equal(s.removed, false);
  assert.equal(s.ended, false);
  assert.equal(s.ended_seq, null);
  assert.equal(s.last_seq, 8);
  store.upsertChat(shown({ last_seq: 9, read_seq: 8, unread: 1 }));
  assert.equal(s.removed, false);
  assert.equal(s.unread(), 1);
});

test('an erased account is "Deleted account": as a member, and as a sender of a chat that lists one', () => {
  const store = newStore();
  const gone = { user_id: 'zed', display_name: '', role: 'member', deleted: true };
  const direct = store.upsertChat({ chat_id: 'd', kind: 'direct', members: [me, gone], last_seq: 3, read_seq: 3, created_at: 1 });
  assert.equal(store.title(direct), DELETED_NAME);
  assert.equal(store.userName('zed'), DELETED_NAME);
  assert.equal(store.memberName(gone), DELETED_NAME);
  assert.equal(store.peerDeleted(direct), true);
  assert.deepEqual(store.directPeers(), [], 'no presence asked of an erased account');
  // A sender nobody can name: erased where the chat lists an erased member, else someone who left.
  assert.equal(store.userName('ghost', direct), DELETED_NAME);
  const group = store.upsertChat(shown());
  assert.equal(store.userName('ghost', group), 'Former member');
  assert.equal(store.userName('ghost'), 'Former member');
  // A name seen before the erasure does not come back.
  store.upsertChat({ chat_id: 'old', kind: 'group', name: 'Old', members: [me, { user_id: 'zed', display_name: 'Zed Old', role: 'member' }], last_seq: 1, read_seq: 1, created_at: 1 });
  assert.equal(store.userName('zed'), DELETED_NAME);
});

// ---- the client: events, reading, removing from the list ----

/** A client with stand-ins for the REST API and the socket. */
function newClient({ views = new Map(), list = [], history = [] } = {}) {
  const store = newStore();
  const client = new Client(store);
  const calls = [];
  const sent = [];
  client.api = {
    getChat: async (id) => { calls.push(['GET', id]); return views.get(id); },
    listChats: async () => { calls.push(['LIST']); return list; },
    forgetChat: async (id) => { calls.push(['DELETE', id]); },
    history: async (id, q) => {
      calls.push(['HISTORY', id, q]);
      if (q.after !== undefined) return history.filter((m) => m.seq > q.after).slice(0, q.limit);
      return history.filter((m) => q.before === undefined || m.seq < q.before).reverse().slice(0, q.limit);
    },
    receipts: async (id) => { calls.push(['RECEIPTS', id]); return { receipts: [] }; },
    presence: async () => [],
    removeMember: async (id, user) => { calls.push(['REMOVE', id, user]); },
  };
  client.conn = { send: (frame) => { sent.push(frame); return true; }, isLive: true, stop() {} };
  return { store, client, calls, sent };
}

test('removed live: the member_removed event asks for the ended view; a read then goes out, nothing else', async () => {
  const { store, client, calls, sent } = newClient({ views: new Map([['g', endedView()]]) });
  client.adopt(shown());
  client.handleFrame({ type: 'chat', event: 'member_removed', chat: event([ann, cy]) });
  assert.deepEqual(calls, [['GET', 'g']]);
  await client.refreshChat('g');
  const s = store.chat('g');
  assert.equal(s.ended, true);
  client.markRead('g', 5);
  assert.deepEqual(sent, [{ type: 'read', chat_id: 'g', seq: 5 }]);
  assert.equal(s.unread(), 0);
  assert.equal(client.queue('g', 'hello', {}), 'You are not a member of this chat.');
  client.stop();
});

test('opening an ended chat loads its history but asks for no receipts', async () => {
  const { store, client, calls } = newClient({ history: [1, 2, 3, 4, 5].map((seq) => text(seq)) });
  client.adopt(endedView());
  client.openChat('g');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, [['HISTORY', 'g', { limit: 50 }]]);
  const s = store.chat('g');
  assert.equal(s.loaded, true);
  assert.deepEqual(s.sortedMessages().map((m) => m.seq), [1, 2, 3, 4, 5]);
  client.stop();
});

test('after a reload the list brings the ended chat; one absent from it was removed on another device', async () => {
  const { store, client } = newClient({ list: [endedView()] });
  client.adopt({ chat_id: 'gone', kind: 'group', name: 'Old', members: [ann], last_seq: 1, read_seq: 1, ended: true, ended_seq: 1, created_at: 1 });
  await client.refreshChats();
  assert.deepEqual([...store.chats.keys()], ['g']);
  assert.equal(store.chat('g').ended, true);
  client.stop();
});

test('"Remove from list": DELETE, gone here; the forgotten event removes it on the other devices', async () => {
  const { store, client, calls } = newClient();
  client.adopt(endedView());
  store.openChatId = 'g';
  await client.removeEndedChat('g');
  assert.deepEqual(calls, [['DELETE', 'g']]);
  assert.equal(store.chat('g'), null);
  assert.equal(store.openChatId, null, 'the open chat closes');
  // Its echo, and any later event without us, changes nothing.
  client.handleFrame({ type: 'chat', event: 'forgotten', chat: { chat_id: 'g' } });
  client.handleFrame({ type: 'chat', event: 'renamed', chat: event([ann, cy]) });
  assert.equal(store.chat('g'), null);

  const other = newClient();
  other.client.adopt(endedView());
  other.client.handleFrame({ type: 'chat', event: 'forgotten', chat: { chat_id: 'g', kind: 'group', members: [ann, cy] } });
  assert.equal(other.store.chat('g'), null);
  // Added again later: back, as a member.
  other.client.handleFrame({ type: 'chat', event: 'member_added', chat: event([ann, cy, me], { last_seq: 7 }) });
  assert.equal(other.store.chat('g')?.removed, false);
  client.stop();
  other.client.stop();
});

test('removing from the list what the server already forgot is no error; a member is refused', async () => {
  const { store, client } = newClient();
  client.adopt(endedView());
  client.api.forgetChat = async () => { throw new ApiError(404, 'not_found', 'no such chat'); };
  await client.removeEndedChat('g');
  assert.equal(store.chat('g'), null);
  client.adopt(endedView());
  client.api.forgetChat = async () => { throw new ApiError(400, 'invalid_request', 'leave the group first'); };
  await assert.rejects(client.removeEndedChat('g'), /leave the group first/);
  assert.ok(store.chat('g'), 'kept: the server says we are a member');
  client.stop();
});

test('leaving keeps the chat, ended', async () => {
  const { store, client, calls } = newClient({ views: new Map([['g', endedView()]]) });
  client.adopt(shown());
  await client.leaveGroup('g');
  assert.deepEqual(calls, [['REMOVE', 'g', ME], ['GET', 'g']]);
  const s = store.chat('g');
  assert.equal(s.removed, true);
  assert.equal(s.ended, true);
  client.stop();
});

test('added again after it ended: a fresh window from the new join', () => {
  const { store, client } = newClient({ views: new Map() });
  const s = client.adopt(endedView());
  for (let seq = 1; seq <= 5; seq++) s.messages.set(seq, text(seq));
  s.loaded = true;
  client.handleFrame({ type: 'chat', event: 'member_added', chat: event([ann, cy, me], { last_seq: 8 }) });
  assert.equal(s.removed, false);
  assert.equal(s.messages.size, 0);
  assert.equal(s.loaded, false);
  assert.equal(s.preview, null, 'the old last message is not ours any more');
  assert.equal(s.read_seq, 8, 'the marker of an added member starts where it was added');
  client.stop();
});
