// Unit tests of ChatState's unread count (js/store.js) under Node's own
// runner: text messages of others after the read marker. Edits, deletions,
// reactions, timeline lines and our own messages take seqs but never count.
// The server's count (the chat object's `unread`) stands for what it saw;
// what arrives after it is counted from the entries held.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ChatState } from '../js/store.js';

const text = (seq, sender = 'bob') => ({ chat_id: 'c', seq, sender_id: sender, text: `m${seq}`, ts: seq });
const action = (seq, kind, target = 1, sender = 'bob') => ({ chat_id: 'c', seq, sender_id: sender, kind, target_seq: target, text: '', ts: seq });
const line = (seq, type = 'member_added', sender = 'bob') => ({ chat_id: 'c', seq, sender_id: sender, kind: 'event', event: { type, user_id: 'cy' }, text: '', ts: seq });

function chat({ read = 0, last = 0, held = [], counted = null } = {}) {
  const s = new ChatState({ chat_id: 'c', kind: 'group', members: [] }, 'me');
  s.read_seq = read;
  s.last_seq = last;
  s.counted = counted;
  for (const m of held) s.messages.set(m.seq, m);
  return s;
}

test('held actions, timeline lines and own messages after the read marker are not counted', () => {
  const s = chat({ read: 1, last: 8, held: [text(1), text(2), action(3, 'edit'), action(4, 'reaction'), text(5), action(6, 'delete', 2), line(7), text(8, 'me')] });
  assert.equal(s.unread(), 2);
});

test('entries that are not held count as messages until known', () => {
  const s = chat({ read: 2, last: 6, held: [text(1), text(2), action(5, 'reaction')] });
  assert.equal(s.unread(), 3); // 3, 4 and 6 unknown: counted; 5 an action
});

test('the server count stands for what it saw; live entries after it add to it', () => {
  // The list said: 3 unread of entries up to 40 (it knows which were actions, lines or ours).
  const s = chat({ read: 10, last: 40, counted: { read_seq: 10, last_seq: 40, unread: 3 } });
  assert.equal(s.unread(), 3, 'nothing held: the server count');
  s.messages.set(41, text(41));
  s.messages.set(42, line(42));
  s.messages.set(43, action(43, 'reaction', 41));
  s.last_seq = 43;
  assert.equal(s.unread(), 4, 'one message more; a line and a reaction do not count');
  // A held entry the count covered is not counted twice.
  s.messages.set(40, text(40));
  assert.equal(s.unread(), 4);
});

test('read on another device: to the end nothing is left, part of the way the count shrinks', () => {
  const s = chat({ read: 10, last: 40, counted: { read_seq: 10, last_seq: 40, unread: 3 } });
  s.read_seq = 40;
  assert.equal(s.unread(), 0);
  const t = chat({ read: 10, last: 40, counted: { read_seq: 10, last_seq: 40, unread: 30 } });
  t.read_seq = 35;
  for (let seq = 36; seq <= 40; seq++) t.messages.set(seq, seq % 2 ? text(seq) : line(seq));
  assert.equal(t.unread(), 2, 'the entries after the new marker are held: counted exactly (37 and 39)');
  t.messages.delete(36);
  assert.equal(t.unread(), 3, 'an entry not held counts until known');
  const u = chat({ read: 38, last: 40, counted: { read_seq: 10, last_seq: 40, unread: 1 } });
  assert.equal(u.unread(), 1, 'never more than the server counted');
});

test('nothing unread when read to the end; a chat left has nothing unread', () => {
  const s = chat({ read: 4, last: 4, held: [text(1), action(2, 'edit'), text(3), action(4, 'reaction')], counted: { read_seq: 0, last_seq: 4, unread: 2 } });
  assert.equal(s.unread(), 0);
  s.removed = true;
  s.last_seq = 9;
  assert.equal(s.unread(), 0, 'a chat we left has nothing unread');
});

// A blocked user's messages are withheld: their seqs leave holes that history
// never fills. Once a history answer shows them absent they are no hole and no
// unread message.
test('seqs known to be absent (withheld) are neither holes nor unread', () => {
  const s = chat({ read: 2, last: 7, held: [text(1), text(2), text(5), text(7)] });
  assert.equal(s.firstGapAfter(), 2);
  assert.equal(s.unread(), 5); // 5 and 7, and 3, 4 and 6 unknown: counted until known
  // A page asked after 2 returned 5 and 7 only: 3, 4 and 6 will never come.
  s.markAbsent(2, 7, [text(5), text(7)]);
  assert.deepEqual([...s.absent].sort(), [3, 4, 6]);
  assert.equal(s.firstGapAfter(), null);
  assert.equal(s.newestKnown(), 7);
  assert.equal(s.unread(), 2);
  // A tail withheld after the newest held entry.
  s.last_seq = 9;
  s.markAbsent(7, 9, []);
  assert.equal(s.newestKnown(), 9);
  assert.equal(s.unread(), 2);
});
