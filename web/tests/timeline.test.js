// Unit tests of the group timeline's words (js/timeline.js): names from the
// chat's members or any chat seen, "you" for the user looking, a sensible
// stand-in for someone who left and shares no chat with us any more.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { isTimelineLine, timelineParts, timelineText } from '../js/timeline.js';

const names = new Map([['ann', 'Ann Lee'], ['cy', 'Cy Park'], ['me', 'Me Myself']]);
const members = new Set(['ann', 'cy', 'me']);
const who = { me: 'me', nameOf: (id) => names.get(id) ?? null, isMember: (id) => members.has(id) };
const say = (event, actor) => timelineText(timelineParts(event, actor, who));

test('each kind of line, as users read them', () => {
  assert.equal(say({ type: 'member_added', user_id: 'cy' }, 'ann'), 'Ann Lee added Cy Park');
  assert.equal(say({ type: 'member_removed', user_id: 'cy' }, 'ann'), 'Ann Lee removed Cy Park');
  assert.equal(say({ type: 'member_left', user_id: 'cy' }, 'cy'), 'Cy Park left');
  assert.equal(say({ type: 'renamed', name: 'Trip 2027' }, 'ann'), 'Ann Lee renamed the group to “Trip 2027”');
  assert.equal(say({ type: 'role_changed', user_id: 'cy', role: 'admin' }, 'ann'), 'Ann Lee made Cy Park an admin');
  assert.equal(say({ type: 'role_changed', user_id: 'cy', role: 'member' }, 'ann'), 'Cy Park is no longer an admin');
});

test('the user looking is "you"', () => {
  assert.equal(say({ type: 'member_added', user_id: 'me' }, 'ann'), 'Ann Lee added you');
  assert.equal(say({ type: 'member_added', user_id: 'cy' }, 'me'), 'You added Cy Park');
  assert.equal(say({ type: 'role_changed', user_id: 'me', role: 'admin' }, 'ann'), 'Ann Lee made you an admin');
  assert.equal(say({ type: 'role_changed', user_id: 'me', role: 'member' }, 'ann'), 'You are no longer an admin');
});

test('someone whose name is not known any more is a former member', () => {
  assert.equal(say({ type: 'member_removed', user_id: 'bob' }, 'ann'), 'Ann Lee removed a former member');
  assert.equal(say({ type: 'member_left', user_id: 'bob' }, 'bob'), 'A former member left');
  assert.equal(say({ type: 'renamed', name: 'X' }, 'bob'), 'A former member renamed the group to “X”');
});

test('the admin role handed on when the last admin left says what happened', () => {
  // Bob left as the last admin; the line that makes Cy an admin is Bob's.
  assert.equal(say({ type: 'role_changed', user_id: 'cy', role: 'admin' }, 'bob'), 'Cy Park is now an admin');
  assert.equal(say({ type: 'role_changed', user_id: 'me', role: 'admin' }, 'bob'), 'You are now an admin');
});

test('names stay parts of their own, and unknown kinds of line are not shown', () => {
  assert.deepEqual(timelineParts({ type: 'member_added', user_id: 'cy' }, 'ann', who), [{ name: 'Ann Lee' }, ' added ', { name: 'Cy Park' }]);
  assert.equal(timelineParts({ type: 'pinned' }, 'ann', who), null);
  assert.equal(timelineParts(undefined, 'ann', who), null);
  assert.equal(isTimelineLine({ kind: 'event' }), true);
  assert.equal(isTimelineLine({ kind: 'edit' }), false);
  assert.equal(isTimelineLine({}), false);
});
