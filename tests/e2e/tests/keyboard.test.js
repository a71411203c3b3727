// The chat list from the keyboard: one Tab stop (a roving tabindex), Up and
// Down move between chats, Home and End to the ends, Enter opens the chat
// and puts the focus in its composer.

import assert from 'node:assert/strict';
import { scenario, signup, chatItem, composer, pollEqual, restUser, restSend } from '../lib/harness.js';
import { rest } from '../lib/server.js';

const focusedChat = (page) => page.evaluate(() => document.activeElement?.closest('[data-testid=chat-item]')?.querySelector('[data-testid=chat-name]')?.textContent ?? null);
const tabStops = (page) => page.getByTestId('chat-item').evaluateAll((els) => els.filter((el) => el.tabIndex === 0).map((el) => el.querySelector('[data-testid=chat-name]').textContent));

scenario('arrow keys move through the chat list and Enter opens a chat', async (h) => {
  const ann = h.user('Ann Lee');
  const a = await h.newPage();
  await signup(a, ann);
  // Three people write to Ann, one after the other: the newest chat comes first.
  const names = ['Bob Stone', 'Cy Young', 'Dee Park'];
  for (const name of names) {
    const { token } = await restUser(h, h.user(name));
    const { user_id: annId } = await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(ann.email)}`, { token });
    const chat = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'direct', peer_id: annId } });
    await restSend(h, token, chat.chat_id, `Hi, this is ${name}`);
  }
  await pollEqual(() => a.getByTestId('chat-name').allTextContents(), ['Dee Park', 'Cy Young', 'Bob Stone'], { message: 'the list, newest first' });
  assert.deepEqual(await tabStops(a), ['Dee Park'], 'one Tab stop: the first chat');

  // Tab from the search field, the last stop before the list, lands on the list's one stop.
  await a.getByTestId('search-input').focus();
  await a.keyboard.press('Tab');
  assert.equal(await focusedChat(a), 'Dee Park');
  await a.keyboard.press('ArrowDown');
  assert.equal(await focusedChat(a), 'Cy Young');
  await a.keyboard.press('ArrowDown');
  assert.equal(await focusedChat(a), 'Bob Stone');
  await a.keyboard.press('ArrowDown');
  assert.equal(await focusedChat(a), 'Bob Stone', 'Down stops at the last chat');
  await a.keyboard.press('ArrowUp');
  assert.equal(await focusedChat(a), 'Cy Young');
  await a.keyboard.press('Home');
  assert.equal(await focusedChat(a), 'Dee Park');
  await a.keyboard.press('ArrowUp');
  assert.equal(await focusedChat(a), 'Dee Park', 'Up stops at the first chat');
  await a.keyboard.press('End');
  assert.equal(await focusedChat(a), 'Bob Stone');
  assert.deepEqual(await tabStops(a), ['Bob Stone'], 'the Tab stop follows the focus');

  // Enter opens the focused chat; the composer takes the focus.
  await a.keyboard.press('ArrowUp');
  await a.keyboard.press('Enter');
  await a.getByTestId('chat-title').getByText('Cy Young', { exact: true }).waitFor();
  await pollEqual(() => composer(a).evaluate((el) => el === document.activeElement), true, { message: 'focus in the composer' });
  assert.equal(await chatItem(a, 'Cy Young').getAttribute('aria-current'), 'page');
  await a.keyboard.type('Hello Cy');
  await a.keyboard.press('Enter');
  // Cy's chat moves to the top and keeps the Tab stop; Down and Enter from there open the next one.
  await pollEqual(() => a.getByTestId('chat-name').allTextContents(), ['Cy Young', 'Dee Park', 'Bob Stone'], { message: 'Cy first' });
  assert.deepEqual(await tabStops(a), ['Cy Young']);
  await chatItem(a, 'Cy Young').focus();
  await a.keyboard.press('ArrowDown');
  await a.keyboard.press('Enter');
  await a.getByTestId('chat-title').getByText('Dee Park', { exact: true }).waitFor();
});
