// A group that ended for a member: removed, or having left, they keep it in
// their list, tagged "Ended", with its history up to then readable (paged
// back, unread divider, read to 0) and no composer or message actions;
// nothing said after it reaches them, live or after a reload. "Remove from
// list" removes it for good, on every tab and device. Added again, they are a
// member from then on. A direct chat with an erased account says so.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  scenario, signup, login, openChat, send, texts, message, chatItem, composer, conversation, poll, pollEqual, waitLive, restUser, restSend,
} from '../lib/harness.js';
import { rest } from '../lib/server.js';

const ENDED_TEXT = 'You are no longer a member of this group.';

/** Ann through REST: her token, a way to find users, and to create chats. */
async function annAtTheServer(h, ann) {
  const { token } = await restUser(h, ann);
  const userId = async (user) => (await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(user.email)}`, { token })).user_id;
  const group = (name, memberIds) => rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'group', name, member_ids: memberIds } });
  const direct = (peerId) => rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'direct', peer_id: peerId } });
  const members = (chatId) => `/v1/chats/${encodeURIComponent(chatId)}/members`;
  return { token, userId, group, direct, members };
}

function history(page) {
  return page.getByRole('region', { name: 'Conversation history' });
}

/** Scrolls the open chat back until its first message, `first`, is loaded. */
async function scrollBackTo(page, first) {
  await poll(async () => {
    await history(page).evaluate((el) => { el.scrollTop = 0; });
    return (await texts(page))[0] === first;
  }, { timeout: 30000, message: `history paged back to "${first}"` });
}

/** Scrolls the open chat to its end until its unread count is 0. */
async function readToEnd(page, title) {
  await poll(async () => {
    await history(page).evaluate((el) => { el.scrollTop = el.scrollHeight; });
    return (await chatItem(page, title).getAttribute('data-unread')) === '0';
  }, { message: `"${title}" read to the end` });
}

async function expectEnded(page, title) {
  const item = chatItem(page, title);
  await pollEqual(() => item.getAttribute('data-ended'), 'true', { message: `"${title}" ended in the list` });
  assert.equal(await item.getByTestId('chat-tag').textContent(), 'Ended');
}

scenario('removed from a group: the chat ends, its history stays readable, nothing after reaches them; removed from the list on every tab', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const cy = h.user('Cy Park');
  const b = await h.newPage();
  await signup(b, bob);
  const a = await annAtTheServer(h, ann);
  await restUser(h, cy);
  const bobId = await a.userId(bob);
  const club = await a.group('Book club', [bobId, await a.userId(cy)]);
  const dm = await a.direct(bobId);
  const chapters = [];
  const chapter = async (i) => {
    await restSend(h, a.token, club.chat_id, `Chapter ${i}`);
    chapters.push(`Chapter ${i}`);
  };
  for (let i = 1; i <= 60; i++) await chapter(i);

  // Bob reads the group to its end, then goes back to the list; a second tab
  // is open too, and another device (his phone, a login of its own).
  await openChat(b, 'Book club');
  await message(b, 'Chapter 60').waitFor();
  await readToEnd(b, 'Book club');
  const b2 = await h.newTab(b);
  await chatItem(b2, 'Book club').waitFor();
  const phone = await h.newPage({ viewport: { width: 375, height: 740 } });
  await login(phone, bob);
  await chatItem(phone, 'Book club').waitFor();
  await b.evaluate(() => { location.hash = '#/'; });
  await b.getByTestId('chat-view').waitFor({ state: 'detached' });
  for (let i = 61; i <= 65; i++) await chapter(i);
  await pollEqual(() => chatItem(b, 'Book club').getAttribute('data-unread'), '5', { message: 'five unread' });

  // Ann removes Bob: every tab and device shows the group ended, live, its unread count kept.
  await rest(h.server.url, 'DELETE', `${a.members(club.chat_id)}/${encodeURIComponent(bobId)}`, { token: a.token });
  for (const page of [b, b2, phone]) {
    await expectEnded(page, 'Book club');
    await pollEqual(() => chatItem(page, 'Book club').getAttribute('data-unread'), '5', { message: 'the unread count up to the removal' });
  }
  assert.equal(await chatItem(b, 'Book club').getByTestId('chat-preview').textContent(), `${ann.name}: Chapter 65`);

  // What Ann says next never reaches Bob: frames on one connection arrive in
  // order, so once her direct message is there, the group's would have been.
  await restSend(h, a.token, club.chat_id, 'Not for Bob');
  await restSend(h, a.token, dm.chat_id, 'Ping Bob');
  await pollEqual(() => chatItem(b, ann.name).getByTestId('chat-preview').textContent(), 'Ping Bob', { message: 'the direct message' });
  assert.equal(await chatItem(b, 'Book club').getByTestId('chat-preview').textContent(), `${ann.name}: Chapter 65`);

  // Opened: the divider above the first unread chapter, the history, no composer, no actions.
  await openChat(b, 'Book club');
  await pollEqual(() => b.getByTestId('unread-divider').textContent(), '5 unread messages', { message: 'the divider' });
  assert.equal(await b.getByTestId('unread-divider').evaluate((el) => el.nextElementSibling?.querySelector('[data-testid=message-text]')?.textContent), 'Chapter 61');
  await b.getByText(ENDED_TEXT).waitFor();
  assert.equal(await composer(b).count(), 0);
  assert.equal(await b.getByTestId('message-actions').count(), 0);
  assert.equal(await b.getByRole('button', { name: 'Mute notifications' }).count(), 0);
  await readToEnd(b, 'Book club');
  // The read reaches his other devices (a tab of the same device hears of it at its next list fetch).
  await pollEqual(() => chatItem(phone, 'Book club').getAttribute('data-unread'), '0', { message: 'read, on the phone' });
  assert.equal((await texts(b)).at(-1), 'Chapter 65');
  assert.equal((await texts(b)).includes('Not for Bob'), false);
  await h.shot(b, 'ended.png');

  // After a reload: still there, ended, read, the whole history paged back and nothing after it.
  await b.reload();
  await waitLive(b);
  await b.getByTestId('chat-title').getByText('Book club', { exact: true }).waitFor();
  await expectEnded(b, 'Book club');
  await pollEqual(() => chatItem(b, 'Book club').getAttribute('data-unread'), '0', { message: 'read, after a reload' });
  await message(b, 'Chapter 65').waitFor();
  await scrollBackTo(b, 'Chapter 1');
  assert.deepEqual(await texts(b), chapters);
  assert.equal(await composer(b).count(), 0);
  await b.getByText(ENDED_TEXT).waitFor();

  // Remove from list: gone here, from the other tab live, and for good.
  await b.getByRole('button', { name: 'Remove from list' }).click();
  await pollEqual(() => chatItem(b, 'Book club').count(), 0, { message: 'gone from the list' });
  assert.equal(await b.getByTestId('chat-view').count(), 0, 'the chat closed');
  await pollEqual(() => chatItem(b2, 'Book club').count(), 0, { message: 'gone from the other tab' });
  await pollEqual(() => chatItem(phone, 'Book club').count(), 0, { message: 'gone from the phone' });
  await b2.reload();
  await waitLive(b2);
  await chatItem(b2, ann.name).waitFor();
  assert.equal(await chatItem(b2, 'Book club').count(), 0, 'gone after a reload');
  await restSend(h, a.token, dm.chat_id, 'Still there?');
  await pollEqual(() => chatItem(b2, ann.name).getByTestId('chat-preview').textContent(), 'Still there?', { message: 'live again' });
  assert.equal(await chatItem(b2, 'Book club').count(), 0);
});

scenario('leaving a group: it ends the same way; added again, a member from then on', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const b = await h.newPage();
  await signup(b, bob);
  const a = await annAtTheServer(h, ann);
  const bobId = await a.userId(bob);
  const band = await a.group('Band', [bobId]);
  const dm = await a.direct(bobId);
  await restSend(h, a.token, band.chat_id, 'Rehearsal at 7');
  await openChat(b, 'Band');
  await message(b, 'Rehearsal at 7').waitFor();
  await send(b, 'I will be there');
  await message(b, 'I will be there').waitFor();

  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByRole('button', { name: 'Leave group' }).click();
  await b.getByText(ENDED_TEXT).waitFor();
  assert.equal(await composer(b).count(), 0);
  assert.deepEqual(await texts(b), ['Rehearsal at 7', 'I will be there'], 'the history stays');
  await expectEnded(b, 'Band');
  assert.equal(await chatItem(b, 'Band').getByTestId('chat-preview').textContent(), 'You: I will be there');

  // Its members as they were, and nothing to change.
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByTestId('member-list').getByText(ann.name).waitFor();
  assert.equal(await b.getByRole('button', { name: 'Leave group' }).count(), 0);
  await b.keyboard.press('Escape');

  await restSend(h, a.token, band.chat_id, 'Bob left us');
  await restSend(h, a.token, dm.chat_id, 'Ping Bob');
  await pollEqual(() => chatItem(b, ann.name).getByTestId('chat-preview').textContent(), 'Ping Bob', { message: 'the direct message' });
  assert.deepEqual(await texts(b), ['Rehearsal at 7', 'I will be there']);

  await b.reload();
  await waitLive(b);
  await b.getByTestId('chat-title').getByText('Band', { exact: true }).waitFor();
  await expectEnded(b, 'Band');
  await pollEqual(() => texts(b), ['Rehearsal at 7', 'I will be there'], { message: 'the history after a reload' });
  assert.equal(await composer(b).count(), 0);

  // Ann adds Bob again: the composer is back, live, and only what is said from then on shows.
  await rest(h.server.url, 'POST', a.members(band.chat_id), { token: a.token, body: { user_id: bobId } });
  await composer(b).waitFor();
  await pollEqual(() => chatItem(b, 'Band').getAttribute('data-ended'), 'false', { message: 'a member again' });
  assert.equal(await chatItem(b, 'Band').getByTestId('chat-tag').count(), 0);
  await restSend(h, a.token, band.chat_id, 'Welcome back');
  await pollEqual(() => texts(b), ['Welcome back'], { message: 'history from the new join' });
  await pollEqual(async () => (await conversation(b))[0], `— ${ann.name} added you`, { message: 'the line that added him' });
  await send(b, 'Glad to be back');
  await message(b, 'Glad to be back').waitFor();
});

scenario('a direct chat with an erased account: "Deleted account", nothing to write', async (h) => {
  const bob = h.user('Bob Stone');
  const cy = h.user('Cy Park');
  const b = await h.newPage();
  await signup(b, bob);
  const { token, user_id: cyId } = await restUser(h, cy);
  const bobId = (await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(bob.email)}`, { token })).user_id;
  const dm = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'direct', peer_id: bobId } });
  await restSend(h, token, dm.chat_id, 'Hi Bob, Cy here');
  const trio = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'group', name: 'Trio', member_ids: [bobId] } });
  await restSend(h, token, trio.chat_id, 'Cy in the group');
  await chatItem(b, cy.name).waitFor();
  await chatItem(b, 'Trio').waitFor();

  // The operator erases Cy's account (the single node's admin token is in its data directory).
  const admin = (await readFile(join(h.server.dataDir, 'admin_token'), 'utf8')).split('\n')[0].trim();
  await rest(h.server.url, 'DELETE', `/v1/admin/users/${encodeURIComponent(cyId)}`, { token: admin });
  await b.reload();
  await waitLive(b);
  await openChat(b, 'Deleted account');
  await b.getByText('This account was deleted.').waitFor();
  assert.equal(await composer(b).count(), 0);
  assert.equal(await b.getByRole('button', { name: /^Block / }).count(), 0);
  await pollEqual(() => texts(b), ['This message was deleted'], { message: 'the erased message' });
  // In a group the erased account left, its name is gone too (the direct chat lists it as deleted).
  await openChat(b, 'Trio');
  await pollEqual(() => conversation(b), ['This message was deleted', '— Deleted account left', '— You are now an admin'], { message: 'the group after the erasure' });
  assert.equal(await message(b, 'This message was deleted').locator('.sender').textContent(), 'Deleted account');
});
