// Unit tests of js/receipts.js under Node's own runner: which tick one of our
// messages shows from the other members' markers (the server's; a member it
// does not list never counts as having received anything), and the
// `delivered` reports: one frame per chat per burst, never for our own
// messages only, and kept for the next welcome when the socket is down.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';

import { Receipts, receiptState, receiptSummary } from '../js/receipts.js';

const members = (...ids) => ids.map((user_id) => ({ user_id }));
const markers = (entries) => new Map(Object.entries(entries));

test('direct chat: sent, delivered, read', () => {
  const m = markers({ bob: { read_seq: 2, delivered_seq: 4, joined_seq: 0 } });
  const both = members('me', 'bob');
  assert.equal(receiptState(m, both, 'me', 2), 'read');
  assert.equal(receiptState(m, both, 'me', 3), 'delivered');
  assert.equal(receiptState(m, both, 'me', 5), 'sent');
});

test('nothing is invented: no markers yet, or a member the server does not list', () => {
  assert.equal(receiptState(null, members('me', 'bob'), 'me', 1), 'sent');
  assert.equal(receiptState(markers({}), members('me', 'bob'), 'me', 1), 'sent');
  // A group where one member is hidden (a block): never all delivered.
  const m = markers({ bob: { read_seq: 9, delivered_seq: 9, joined_seq: 0 } });
  assert.equal(receiptState(m, members('me', 'bob', 'cy'), 'me', 3), 'sent');
  assert.deepEqual(receiptSummary(m, members('me', 'bob', 'cy'), 'me', 3), { total: 2, read: ['bob'], delivered: ['bob'] });
});

test('group: every member who was there counts; a later member does not', () => {
  const m = markers({
    bob: { read_seq: 5, delivered_seq: 6, joined_seq: 0 },
    cy: { read_seq: 0, delivered_seq: 6, joined_seq: 4 },
  });
  const all = members('me', 'bob', 'cy');
  assert.equal(receiptState(m, all, 'me', 3), 'read'); // cy joined after 3
  assert.equal(receiptState(m, all, 'me', 5), 'delivered');
  assert.deepEqual(receiptSummary(m, all, 'me', 5), { total: 2, read: ['bob'], delivered: ['bob', 'cy'] });
  assert.equal(receiptState(m, all, 'me', 7), 'sent');
});

function setup({ live = true } = {}) {
  const frames = [];
  const chats = new Map([['c1', { id: 'c1' }], ['c2', { id: 'c2' }]]);
  const store = { me: 'me', session: {}, chat: (id) => chats.get(id) ?? null, emit() {} };
  const io = { live, send: (f) => (io.live ? (frames.push(f), true) : false), fetch: async () => [] };
  return { receipts: new Receipts(store, io), frames, io };
}

test('one delivered frame per chat per burst, with the newest seq', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { receipts, frames } = setup();
    for (let seq = 1; seq <= 20; seq++) receipts.received([{ chat_id: 'c1', seq, sender_id: 'bob' }]);
    receipts.received([{ chat_id: 'c2', seq: 3, sender_id: 'bob' }, { chat_id: 'c2', seq: 4, sender_id: 'me' }]);
    assert.deepEqual(frames, []);
    mock.timers.tick(100);
    assert.deepEqual(frames, [{ type: 'delivered', chat_id: 'c1', seq: 20 }, { type: 'delivered', chat_id: 'c2', seq: 4 }]);
    // Already reported: nothing again.
    receipts.received([{ chat_id: 'c1', seq: 20, sender_id: 'bob' }]);
    mock.timers.tick(100);
    assert.equal(frames.length, 2);
  } finally {
    mock.timers.reset();
  }
});

test('our own messages alone are never reported', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { receipts, frames } = setup();
    receipts.received([{ chat_id: 'c1', seq: 1, sender_id: 'me' }, { chat_id: 'c1', seq: 2, sender_id: 'me' }]);
    mock.timers.tick(200);
    assert.deepEqual(frames, []);
  } finally {
    mock.timers.reset();
  }
});

test('a report the socket cannot take goes out at the next flush (welcome)', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { receipts, frames, io } = setup({ live: false });
    receipts.received([{ chat_id: 'c1', seq: 7, sender_id: 'bob' }]);
    mock.timers.tick(100);
    assert.deepEqual(frames, []);
    io.live = true;
    receipts.flush();
    assert.deepEqual(frames, [{ type: 'delivered', chat_id: 'c1', seq: 7 }]);
  } finally {
    mock.timers.reset();
  }
});
