// Unit tests of ChatState's unread count (js/store.js) under Node's own
// runner: edits, deletions and reactions take seqs but are not messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ChatState } from '../js/store.js';

const text = (seq, sender = 'bob') => ({ chat_id: 'c', seq, sender_id: sender, text: `m${seq}`, ts: seq });
const action = (seq, kind, target = 1, sender = 'bob') => ({ chat_id: 'c', seq, sender_id: sender, kind, target_seq: target, text: '', ts: seq });

function chat({ read = 0, last = 0, held = [] } = {}) {
  const s = new ChatState({ chat_id: 'c', kind: 'direct', members: [] });
  s.read_seq = read;
  s.last_seq = last;
  for (const m of held) s.messages.set(m.seq, m);
  return s;
}

test('held actions after the read marker are not counted', () => {
  const s = chat({ read: 1, last: 6, held: [text(1), text(2), action(3, 'edit'), action(4, 'reaction'), text(5), action(6, 'delete', 2)] });
  assert.equal(s.unread(), 2);
  assert.equal(s.unreadKnown(), true);
});

test('entries that are not held count as messages, and say the count is not exact', () => {
  const s = chat({ read: 2, last: 6, held: [text(1), text(2), action(5, 'reaction')] });
  assert.equal(s.unread(), 3); // 3, 4 and 6 unknown: counted; 5 an action
  assert.equal(s.unreadKnown(), false);
  assert.equal(chat({ read: 0, last: 1000, held: [text(1)] }).unreadKnown(), false);
});

test('actions at or before the read marker change nothing; nothing unread is exact', () => {
  const s = chat({ read: 4, last: 4, held: [text(1), action(2, 'edit'), text(3), action(4, 'reaction')] });
  assert.equal(s.unread(), 0);
  assert.equal(s.unreadKnown(), true);
  s.removed = true;
  s.last_seq = 9;
  assert.equal(s.unread(), 0, 'a chat we left has nothing unread');
});
