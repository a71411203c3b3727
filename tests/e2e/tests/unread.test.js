// Unread messages: the list counts text messages only (edits and reactions
// take seqs but are not messages), also after a reload when nothing of the
// chat is loaded; opening the chat shows "N unread messages" above the first
// unread message, in view, with older pages loaded as far back as needed. The
// counts are the server's (the chat object's `unread`), kept current live.

import assert from 'node:assert/strict';
import { scenario, signup, login, openChat, texts, message, chatItem, poll, pollEqual, restUser, restSend, waitLive } from '../lib/harness.js';
import { rest } from '../lib/server.js';

const inView = (page, locator) => locator.evaluate((el) => {
  const view = el.closest('.messages').getBoundingClientRect();
  const r = el.getBoundingClientRect();
  return r.top >= view.top - 1 && r.bottom <= view.bottom + 1;
});

scenario('an "N unread messages" divider above the first unread message; counts leave out actions', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage({ viewport: { width: 1000, height: 700 } });
  await signup(a, ann);
  const { token } = await restUser(h, bob);
  const { user_id: annId } = await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(ann.email)}`, { token });
  const chat = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'direct', peer_id: annId } });
  const post = (text, extra) => restSend(h, token, chat.chat_id, text, extra);

  // Ann reads the first five: a divider above the first.
  for (let i = 1; i <= 5; i++) await post(`Old ${i}`);
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '5', { message: '5 unread' });
  await openChat(a, bob.name);
  await message(a, 'Old 5').waitFor();
  await pollEqual(() => a.getByTestId('unread-divider').textContent(), '5 unread messages', { message: 'the first divider' });
  assert.equal(await a.getByTestId('unread-divider').evaluate((el) => el.nextElementSibling?.querySelector('[data-testid=message-text]')?.textContent), 'Old 1');
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'read' });
  await a.evaluate(() => { location.hash = '#/'; });
  await a.getByTestId('chat-view').waitFor({ state: 'detached' });

  // Then 70 more, and an edit and a reaction on them: 72 entries, 70 messages.
  const fresh = [];
  for (let i = 1; i <= 70; i++) fresh.push(`New ${i}`);
  const seqs = [];
  for (const text of fresh) seqs.push((await post(text)).seq);
  await post('New 3, edited', { kind: 'edit', target_seq: seqs[2] });
  await post('👍', { kind: 'reaction', target_seq: seqs[3] });
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '70', { message: '70 unread, live' });

  // After a reload nothing of the chat is loaded: still 70.
  await a.reload();
  await waitLive(a);
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '70', { message: '70 unread after a reload' });

  // Opening: the divider sits right above "New 1", more than a page back, and is in view.
  await openChat(a, bob.name);
  const divider = a.getByTestId('unread-divider');
  await divider.waitFor();
  assert.equal(await divider.textContent(), '70 unread messages');
  assert.deepEqual(await divider.evaluate((el) => [
    el.previousElementSibling?.querySelector('[data-testid=message-text]')?.textContent,
    el.nextElementSibling?.querySelector('[data-testid=message-text]')?.textContent,
  ]), ['Old 5', 'New 1']);
  await poll(() => inView(a, divider), { message: 'the divider in view' });
  assert.equal(await inView(a, message(a, 'New 70')), false, 'the newest message is further down');
  assert.equal((await texts(a)).filter((t) => t === 'New 3, edited').length, 1);
  await h.shot(a, 'unread-divider.png');

  // Reading down to the end clears the count; opened again, no divider.
  await a.getByRole('region', { name: 'Conversation history' }).evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'all read' });
  await a.evaluate(() => { location.hash = '#/'; });
  await a.getByTestId('chat-view').waitFor({ state: 'detached' });
  await openChat(a, bob.name);
  await message(a, 'New 70').waitFor();
  assert.equal(await a.getByTestId('unread-divider').count(), 0);

  // Later: two messages and a reaction; the divider counts the two.
  await a.evaluate(() => { location.hash = '#/'; });
  await post('Are you there?');
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '1', { message: 'one unread' });
  await post('Hello?');
  await post('👋', { kind: 'reaction', target_seq: seqs[69] });
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '2', { message: 'two unread, the reaction not counted' });
  await openChat(a, bob.name);
  await pollEqual(() => divider.textContent(), '2 unread messages', { message: 'two unread' });
  assert.deepEqual(await divider.evaluate((el) => el.nextElementSibling?.querySelector('[data-testid=message-text]')?.textContent), 'Are you there?');
});

scenario('the list takes unread counts from the server, and follows a read on another device', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a1 = await h.newPage();
  await signup(a1, ann);
  const { token } = await restUser(h, bob);
  const { user_id: annId } = await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(ann.email)}`, { token });
  const chat = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'direct', peer_id: annId } });
  const post = (text, extra) => restSend(h, token, chat.chat_id, text, extra);
  const seqs = [];
  for (let i = 1; i <= 30; i++) seqs.push((await post(`Note ${i}`)).seq);
  await post('👍', { kind: 'reaction', target_seq: seqs[0] });
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-unread'), '30', { message: '30 unread, live' });

  // After a reload the count is the chat object's `unread` and the preview
  // its `last_message`: no entries are fetched for either (the newest entry
  // is a reaction, behind which the server found the newest message).
  const asked = [];
  a1.on('request', (r) => { if (/\/messages\?/.test(r.url())) asked.push(r.url()); });
  await a1.reload();
  await waitLive(a1);
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-unread'), '30', { message: '30 unread after a reload' });
  assert.equal(await a1.evaluate(() => [...window.parley.store.chats.values()][0].counted?.unread), 30);
  assert.equal(await chatItem(a1, bob.name).getByTestId('chat-preview').textContent(), 'Note 30');
  assert.deepEqual(asked, [], 'no history fetched to count or to preview');

  // Live entries add to the server's count: a message does, a reaction does not.
  await post('Note 31');
  await post('👋', { kind: 'reaction', target_seq: seqs[1] });
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-unread'), '31', { message: '31 unread' });

  // Ann's other device reads up to Note 20 (as if it had shown them): this
  // one shows the 11 left, as the server counts them.
  const a2 = await h.newPage();
  await login(a2, ann);
  await chatItem(a2, bob.name).waitFor();
  await a2.evaluate(([id, seq]) => window.parley.client.markRead(id, seq), [chat.chat_id, seqs[19]]);
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-unread'), '11', { message: '11 left after a read elsewhere' });
  // Bob's next message adds to that.
  await post('Note 32');
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-unread'), '12', { message: '12 unread' });
});
