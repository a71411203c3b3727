// Unit tests of js/actions.js under Node's own runner (ctest web_unit_tests):
// actions applied to held messages once, in order, whatever order pages come in.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { applyAction, isShown, myReaction, quoteText, reactionGroups } from '../js/actions.js';

const msg = (over = {}) => ({ chat_id: 'c', seq: 1, sender_id: 'ann', text: 'hello', ts: 10, ...over });
const act = (kind, seq, text = '', sender = 'ann') => ({ chat_id: 'c', seq, sender_id: sender, kind, target_seq: 1, text, ts: seq * 100 });

test('an edit replaces the text and marks the message edited', () => {
  const m = msg();
  assert.equal(applyAction(m, act('edit', 2, 'hi')), true);
  assert.equal(m.text, 'hi');
  assert.equal(m.edited_at, 200);
});

test('actions apply once and never go back: an older one after a newer is skipped', () => {
  const m = msg();
  applyAction(m, act('edit', 3, 'third'));
  assert.equal(applyAction(m, act('edit', 2, 'second')), false);
  assert.equal(applyAction(m, act('edit', 3, 'third')), false);
  assert.equal(m.text, 'third');
  // A message fetched after seq 5 reflects everything up to it.
  const fetched = msg({ text: 'fifth', state_seq: 5 });
  assert.equal(applyAction(fetched, act('edit', 4, 'fourth')), false);
  assert.equal(fetched.text, 'fifth');
});

test('a delete removes text and reactions; later edits and reactions do not bring them back', () => {
  const m = msg({ reactions: [{ user_id: 'bob', emoji: '👍' }] });
  applyAction(m, act('delete', 2));
  assert.deepEqual([m.text, m.deleted, m.reactions], ['', true, []]);
  applyAction(m, act('edit', 3, 'back'));
  applyAction(m, act('reaction', 4, '❤️', 'bob'));
  assert.deepEqual([m.text, m.reactions], ['', []]);
});

test('one reaction per user: set, change, remove; grouped by emoji', () => {
  const m = msg();
  applyAction(m, act('reaction', 2, '👍', 'bob'));
  applyAction(m, act('reaction', 3, '👍', 'cy'));
  applyAction(m, act('reaction', 4, '❤️', 'ann'));
  assert.deepEqual(reactionGroups(m.reactions, 'cy'), [
    { emoji: '👍', users: ['bob', 'cy'], mine: true },
    { emoji: '❤️', users: ['ann'], mine: false },
  ]);
  applyAction(m, act('reaction', 5, '😂', 'bob'));
  assert.equal(myReaction(m, 'bob'), '😂');
  applyAction(m, act('reaction', 6, '', 'bob'));
  assert.equal(myReaction(m, 'bob'), '');
  assert.equal(m.reactions.length, 2);
});

test('only text messages are shown; quotes are one short line', () => {
  assert.equal(isShown(msg()), true);
  assert.equal(isShown(msg({ kind: 'text' })), true);
  assert.equal(isShown(act('edit', 2, 'x')), false);
  assert.equal(quoteText('a\nb'), 'a b');
  assert.equal(quoteText('é'.repeat(120)), `${'é'.repeat(100)}…`);
});
