// Message search in the web app: the field above the chat list finds
// messages of every chat (chat, sender, time, the match marked, user text
// shown as text only); choosing a result opens the chat at that message,
// loading older history until it is there; the search in a chat's header
// finds within that chat and jumps too.

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, openChat, send, message, pollEqual, poll, chatItem,
} from '../lib/harness.js';

/** Whether the message is scrolled into the conversation's view. */
function inView(page, text) {
  return message(page, text).evaluate((li) => {
    const view = li.closest('[role=region]').getBoundingClientRect();
    const r = li.getBoundingClientRect();
    return r.top >= view.top - 1 && r.bottom <= view.bottom + 1;
  });
}

function results(page) {
  return page.getByTestId('search-results').first().getByTestId('search-result');
}

scenario('search finds messages across chats and opens the chat at the message', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const cy = h.user('Cy Park');
  const a = await h.newPage();
  const b = await h.newPage();
  const c = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await signup(c, cy);
  await startDirectChat(c, ann.email, ann.name);
  await send(c, 'lunch with Cy on Friday');
  await startDirectChat(b, ann.email, ann.name);
  await send(b, 'Lunch at noon?');
  // Enough after it that it is not on the chat's first page.
  const filler = Array.from({ length: 70 }, (_, i) => `filler line ${i + 1}`);
  await b.evaluate(async (texts) => {
    const { client, store } = window.parley;
    for (const text of texts) client.sendText(store.openChatId, text);
    const deadline = Date.now() + 20000;
    while (client.outbox.entries.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (client.outbox.entries.length) throw new Error('sends not acknowledged');
  }, filler);
  await send(b, 'see you <b>soon</b> <img src=x onerror=alert(1)>');
  await chatItem(a, bob.name).waitFor();

  // Across chats, newest first: chat name, sender and the marked word.
  const box = a.getByTestId('search-input');
  await box.fill('LUNCH');
  await pollEqual(() => results(a).count(), 2, { message: 'two results for "lunch"' });
  assert.equal(await a.getByTestId('chat-list').isVisible(), false, 'results take the chat list’s place');
  const first = results(a).nth(0);
  assert.equal(await first.getByTestId('search-chat').textContent(), bob.name);
  assert.equal(await first.getByTestId('search-sender').textContent(), bob.name);
  assert.equal(await first.getByTestId('search-snippet').textContent(), 'Lunch at noon?');
  assert.deepEqual(await first.locator('mark').allTextContents(), ['Lunch']);
  assert.equal(await results(a).nth(1).getByTestId('search-chat').textContent(), cy.name);

  // Several words, the last one as typed so far.
  await box.fill('lunch no');
  await pollEqual(() => results(a).count(), 1, { message: 'one result for "lunch no"' });
  assert.deepEqual(await results(a).nth(0).locator('mark').allTextContents(), ['Lunch', 'no']);

  // User text is text: the markup shows as typed, no element is made of it.
  await box.fill('soon');
  await pollEqual(() => results(a).nth(0).getByTestId('search-snippet').textContent(),
    'see you <b>soon</b> <img src=x onerror=alert(1)>', { message: 'the markup as text' });
  assert.equal(await results(a).nth(0).locator('b, img').count(), 0);
  assert.deepEqual(await results(a).nth(0).locator('mark').allTextContents(), ['soon']);

  await box.fill('breakfast');
  await pollEqual(() => a.getByTestId('search-status').first().textContent(), 'No messages found', { message: 'nothing found' });

  // Choosing a result opens the chat at that message, older pages loaded.
  await box.fill('lunch at');
  await pollEqual(() => results(a).count(), 1, { message: 'one result for "lunch at"' });
  await results(a).nth(0).click();
  await a.getByTestId('chat-title').getByText(bob.name, { exact: true }).waitFor();
  await message(a, 'Lunch at noon?').waitFor();
  await poll(() => inView(a, 'Lunch at noon?'), { message: 'the message scrolled into view' });

  // Escape empties the field and the chat list is back.
  await box.press('Escape');
  await pollEqual(() => a.getByTestId('chat-list').isVisible(), true, { message: 'the chat list back' });

  // In one chat: its header's search finds there only, and jumps too.
  await openChat(a, cy.name);
  await openChat(a, bob.name);
  await a.getByTestId('chat-search-button').click();
  const inChat = a.getByTestId('chat-search-input');
  await inChat.fill('lunch');
  const chatResults = a.getByTestId('chat-view').getByTestId('search-result');
  await pollEqual(() => chatResults.count(), 1, { message: 'one result in Bob’s chat' });
  assert.equal(await chatResults.nth(0).getByTestId('search-chat').count(), 0, 'no chat name within one chat');
  // "3" as a prefix: lines 39 down to 30, then 3.
  await inChat.fill('filler 3');
  await pollEqual(() => chatResults.count(), 11, { message: 'eleven results for "filler 3"' });
  assert.equal(await chatResults.nth(0).getByTestId('search-snippet').textContent(), 'filler line 39');
  assert.equal(await chatResults.nth(10).getByTestId('search-snippet').textContent(), 'filler line 3');
  await chatResults.nth(10).click();
  await poll(() => inView(a, 'filler line 3'), { message: 'filler line 3 in view' });
}, { serverArgs: ['--max-frames-per-second', '0'] });
