// Two users in two browser contexts: sign up, open a direct chat, exchange
// messages live, see each other online, read state on the sender's side,
// typing indicator, unread counts, "last seen" after the other leaves.

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, openChat, send, texts, message, waitState, chatItem,
  composer, poll, pollEqual, acceptRequest,
} from '../lib/harness.js';

scenario('direct chat: live messages, presence, read state, typing, unread', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();

  await a.goto('/');
  await a.getByRole('heading', { name: 'Welcome back' }).waitFor();
  await h.shot(a, 'login.png');

  await signup(a, ann);
  await signup(b, bob);

  // Ann starts a direct chat by e-mail; it appears live in Bob's list, as a
  // message request: Bob accepts it (until then Ann would see nothing of him),
  // and goes back to his list.
  await startDirectChat(a, bob.email, bob.name);
  await chatItem(b, ann.name).waitFor();
  await acceptRequest(b, ann.name);
  await b.goto('/#/');
  await b.getByTestId('chat-list').waitFor();

  await send(a, 'Hi Bob! Are you there?');
  // Bob is online with the chat closed: received, not read.
  await waitState(a, 'Hi Bob! Are you there?', 'delivered');

  // Bob has one unread message before opening the chat.
  await pollEqual(() => chatItem(b, ann.name).getAttribute('data-unread'), '1', { message: 'Bob’s unread count' });
  await h.shot(b, 'chat-list.png');

  // Presence: each sees the other online (dot in the list, text in the header).
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Ann sees Bob online' });
  await openChat(b, ann.name);
  await pollEqual(() => b.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Bob sees Ann online' });
  assert.equal(await chatItem(b, ann.name).locator('.presence-dot.online').count(), 1);

  // Bob sees the message; his reading it shows as "read" on Ann's side, and his unread count clears.
  await message(b, 'Hi Bob! Are you there?').waitFor();
  await waitState(a, 'Hi Bob! Are you there?', 'read');
  await pollEqual(() => chatItem(b, ann.name).getAttribute('data-unread'), '0', { message: 'Bob’s unread count cleared' });

  // Typing: Bob types without sending; Ann sees it, and it goes away after ~5 s.
  await composer(b).pressSequentially('Yes, ', { delay: 20 });
  await pollEqual(() => a.getByTestId('typing').textContent(), `${bob.name} is typing…`, { message: 'typing indicator' });
  await h.shot(a, 'chat-typing.png');
  await pollEqual(() => a.getByTestId('typing').textContent(), '', { timeout: 10000, message: 'typing indicator to expire' });

  // Live exchange in both directions, in order, each once; Enter sends.
  await composer(b).pressSequentially('I am here. Lunch at noon?', { delay: 5 });
  await composer(b).press('Enter');
  await message(a, 'Yes, I am here. Lunch at noon?').waitFor();
  await send(a, 'Noon works 👍');
  await send(a, 'See you at the usual place.');
  await message(b, 'See you at the usual place.').waitFor();
  const expected = ['Hi Bob! Are you there?', 'Yes, I am here. Lunch at noon?', 'Noon works 👍', 'See you at the usual place.'];
  await pollEqual(() => texts(a), expected, { message: 'Ann’s conversation' });
  await pollEqual(() => texts(b), expected, { message: 'Bob’s conversation' });
  await waitState(a, 'See you at the usual place.', 'read');
  assert.equal(await message(b, 'Yes, I am here. Lunch at noon?').getAttribute('data-state'), 'read');
  // Messages from the other side carry no state ticks; a day separator heads the chat.
  assert.equal(await message(a, 'Yes, I am here. Lunch at noon?').getAttribute('data-state'), 'received');
  assert.equal(await a.locator('.day-sep').first().textContent(), 'Today');

  // Ann looks at the chat list (no chat open): a new message from Bob counts as unread.
  await a.goto('/#/');
  await a.getByTestId('chat-list').waitFor();
  await send(b, 'Running 5 min late');
  await send(b, 'Order for me please');
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '2', { message: 'Ann’s unread count' });
  await pollEqual(() => chatItem(a, bob.name).getByTestId('chat-preview').textContent(), 'Order for me please', { message: 'preview' });
  await openChat(a, bob.name);
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'Ann’s unread cleared' });
  await waitState(b, 'Order for me please', 'read');
  await h.shot(a, 'chat.png');

  // Bob leaves: Ann sees "last seen …" once the presence timeout (2 s) passes.
  await b.context().close();
  await poll(async () => /^last seen/.test(await a.getByTestId('chat-subtitle').textContent()), { timeout: 15000, message: 'Bob offline' });
  assert.equal(await chatItem(a, bob.name).locator('.presence-dot.offline').count(), 1);
});
