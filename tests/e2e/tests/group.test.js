// A group of three: created from the dialog, appears live for the members,
// sender names in the conversation; only admins manage members; a removed
// member stops receiving and keeps the group, ended; a member leaves and
// keeps it the same way (tests/ended.test.js goes further).

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, openChat, send, texts, message, chatItem, composer, pollEqual, waitState,
} from '../lib/harness.js';

scenario('group of three: live membership, removal stops delivery, leaving', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const carol = h.user('Carol Diaz');
  const a = await h.newPage();
  const b = await h.newPage();
  const c = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await signup(c, carol);

  // A direct chat Ann–Carol: used later to prove that Carol's connection is up to date.
  await startDirectChat(a, carol.email, carol.name);
  await send(a, 'Hi Carol, adding you to the trip group');
  await chatItem(c, ann.name).waitFor();

  // Ann creates the group in the dialog; it appears live for Bob and Carol.
  await a.getByRole('button', { name: 'New group' }).click();
  await a.getByLabel('Group name').fill('Weekend trip');
  await a.getByRole('textbox', { name: 'Members' }).fill(`${bob.email}, ${carol.email}`);
  await a.getByRole('button', { name: 'Create group' }).click();
  await a.getByTestId('chat-title').getByText('Weekend trip', { exact: true }).waitFor();
  await chatItem(b, 'Weekend trip').waitFor();
  await chatItem(c, 'Weekend trip').waitFor();

  await send(a, 'Who is in for Saturday?');
  await openChat(b, 'Weekend trip');
  await openChat(c, 'Weekend trip');
  await message(b, 'Who is in for Saturday?').waitFor();
  await message(c, 'Who is in for Saturday?').waitFor();
  // Sender names in groups.
  assert.equal(await message(b, 'Who is in for Saturday?').locator('.sender').textContent(), ann.name);
  await send(c, 'Me! I will bring snacks.');
  await send(b, 'Count me in. Leaving at 9?');
  await send(a, 'Perfect, 9 it is. I will drive.');
  const conversation = ['Who is in for Saturday?', 'Me! I will bring snacks.', 'Count me in. Leaving at 9?', 'Perfect, 9 it is. I will drive.'];
  for (const page of [a, b, c]) await pollEqual(() => texts(page), conversation, { message: 'group conversation' });
  await waitState(a, 'Perfect, 9 it is. I will drive.', 'read');

  // The screenshot for the README: the group from Ann's side, Bob typing.
  await composer(b).pressSequentially('Great', { delay: 20 });
  await pollEqual(() => a.getByTestId('typing').textContent(), `${bob.name} is typing…`, { message: 'typing in group' });
  await h.shot(a, 'group.png');
  await h.docsShot(a);
  await composer(b).fill('');

  // Bob is no admin: no remove buttons, no add form.
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByTestId('member-list').getByText(carol.name).waitFor();
  assert.equal(await b.getByRole('button', { name: /^Remove / }).count(), 0);
  assert.equal(await b.getByLabel('Add a member by email').isVisible(), false);
  await b.keyboard.press('Escape');

  // Ann (admin) removes Carol: Carol's page says so, Bob's header shows two members.
  await a.getByRole('button', { name: 'Group info' }).click();
  await a.getByRole('button', { name: `Remove ${carol.name}` }).click();
  await pollEqual(() => a.getByTestId('member-list').locator('.member').count(), 2, { message: 'two members left' });
  await a.getByRole('button', { name: 'Done' }).click();
  await c.getByText('You are no longer a member of this group.').waitFor();
  assert.equal(await composer(c).isVisible(), false);
  await pollEqual(() => b.getByTestId('chat-subtitle').textContent(), `2 members: ${ann.name}, you`, { message: 'Bob sees two members' });

  // A message after the removal reaches Bob but not Carol. Then Ann writes to Carol
  // directly: frames on one connection arrive in order, so once Carol sees that,
  // the group message would have arrived before it.
  await send(a, 'Carol is out of the loop now');
  await message(b, 'Carol is out of the loop now').waitFor();
  await openChat(a, carol.name);
  await send(a, 'Sorry, the car is full');
  await pollEqual(() => chatItem(c, ann.name).getByTestId('chat-preview').textContent(), 'Sorry, the car is full', { message: 'Carol gets the direct message' });
  assert.deepEqual(await texts(c), conversation, 'Carol received nothing after her removal');
  assert.equal(await chatItem(c, 'Weekend trip').getByTestId('chat-tag').textContent(), 'Ended');
  assert.equal(await chatItem(c, 'Weekend trip').getByTestId('chat-preview').textContent(), `${ann.name}: Perfect, 9 it is. I will drive.`);

  // Ann adds Carol again: Carol's page turns back into a member's, live.
  await openChat(a, 'Weekend trip');
  await a.getByRole('button', { name: 'Group info' }).click();
  await a.getByLabel('Add a member by email').fill(carol.email);
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await pollEqual(() => a.getByTestId('member-list').locator('.member').count(), 3, { message: 'three members again' });
  await a.keyboard.press('Escape');
  await composer(c).waitFor();
  await send(a, 'Welcome back, Carol');
  await message(c, 'Welcome back, Carol').waitFor();
  await send(c, 'Thanks!');
  await message(b, 'Thanks!').waitFor();

  // Bob leaves the group: it stays in his list, ended, and Ann's group has two members.
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByRole('button', { name: 'Leave group' }).click();
  await b.getByText('You are no longer a member of this group.').waitFor();
  await pollEqual(() => chatItem(b, 'Weekend trip').getAttribute('data-ended'), 'true', { message: 'ended in Bob’s list' });
  assert.equal(await composer(b).isVisible(), false);
  await message(b, 'Thanks!').waitFor();
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), `2 members: you, ${carol.name}`, { message: 'Bob gone from Ann’s group' });
});
