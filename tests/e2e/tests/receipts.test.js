// Delivery and read receipts: ✓ once the server has a message, ✓✓ once a
// device of the peer received it, read once the peer read it (each with its
// words for screen readers); a peer offline keeps ✓ until it comes back; a
// group's "Message info" counts its members; everything is the server's, so
// it survives a reload.

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, acceptRequest, openChat, send, message, waitState, chatItem, pollEqual, waitLive,
} from '../lib/harness.js';

const label = (page, text) => message(page, text).getByTestId('message-state').getAttribute('aria-label');

scenario('direct chat: sent, delivered, read; an offline peer keeps it sent until it is back; a reload keeps it', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  let b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await chatItem(b, ann.name).waitFor();
  await acceptRequest(b, ann.name);
  await b.goto('/#/');
  await b.getByTestId('chat-list').waitFor();

  // Bob online, the chat closed: delivered, not read.
  await send(a, 'Are you free tonight?');
  await waitState(a, 'Are you free tonight?', 'delivered');
  assert.equal(await label(a, 'Are you free tonight?'), 'Delivered');
  // Bob opens it: read.
  await openChat(b, ann.name);
  await message(b, 'Are you free tonight?').waitFor();
  await waitState(a, 'Are you free tonight?', 'read');
  assert.equal(await label(a, 'Are you free tonight?'), 'Read');

  // Bob closes his tab: offline. Ann's next message stays sent.
  const bobStorage = await b.context().storageState();
  await b.context().close();
  await send(a, 'Call me when you see this');
  await waitState(a, 'Call me when you see this', 'sent');
  assert.equal(await label(a, 'Call me when you see this'), 'Sent');

  // Ann reloads: what the server knows comes back (read, then sent).
  await a.reload();
  await waitLive(a);
  await openChat(a, bob.name);
  await waitState(a, 'Are you free tonight?', 'read');
  await waitState(a, 'Call me when you see this', 'sent');

  // Bob's device comes back (the list, without opening the chat): delivered.
  b = await h.newPage({ storageState: bobStorage });
  await b.goto('/');
  await waitLive(b);
  await waitState(a, 'Call me when you see this', 'delivered');
  await h.shot(a, 'receipts-direct.png');
});

scenario('group: "Message info" says who read and who received a message', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const carol = h.user('Carol Diaz');
  const a = await h.newPage();
  const b = await h.newPage();
  const c = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await signup(c, carol);

  await a.getByRole('button', { name: 'New group' }).click();
  await a.getByLabel('Group name').fill('Book club');
  await a.getByRole('textbox', { name: 'Members' }).fill(`${bob.email}, ${carol.email}`);
  await a.getByRole('button', { name: 'Create group' }).click();
  await a.getByTestId('chat-title').getByText('Book club', { exact: true }).waitFor();
  await chatItem(b, 'Book club').waitFor();
  await chatItem(c, 'Book club').waitFor();

  // Bob reads it; Carol is online with the group closed.
  await openChat(b, 'Book club');
  await send(a, 'Next book: Middlemarch');
  await message(b, 'Next book: Middlemarch').waitFor();
  await waitState(a, 'Next book: Middlemarch', 'delivered');

  // Message info, from the keyboard: the message's menu, then its item.
  await message(a, 'Next book: Middlemarch').getByTestId('message-actions').focus();
  await a.keyboard.press('Enter');
  const item = a.getByRole('menuitem', { name: 'Message info' });
  await item.focus();
  await a.keyboard.press('Enter');
  const dialog = a.getByTestId('message-info');
  await pollEqual(() => dialog.getByTestId('read-by').locator('h3').textContent(), 'Read by 1 of 2', { message: 'read by Bob' });
  await pollEqual(() => dialog.getByTestId('delivered-to').locator('h3').textContent(), 'Delivered to 2 of 2', { message: 'delivered to both' });
  assert.deepEqual(await dialog.getByTestId('read-by').locator('li').allTextContents(), [bob.name]);
  assert.deepEqual(await dialog.getByTestId('delivered-to').locator('li').allTextContents(), [bob.name, carol.name]);

  // Carol opens the group: the open dialog follows, and the message is read by all.
  await openChat(c, 'Book club');
  await pollEqual(() => dialog.getByTestId('read-by').locator('h3').textContent(), 'Read by 2 of 2', { message: 'read by both, live' });
  await a.keyboard.press('Escape');
  await waitState(a, 'Next book: Middlemarch', 'read');

  // A reload keeps it (the server's markers).
  await a.reload();
  await waitLive(a);
  await openChat(a, 'Book club');
  await waitState(a, 'Next book: Middlemarch', 'read');
  await h.shot(a, 'receipts-group.png');
});
