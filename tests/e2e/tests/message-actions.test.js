// Message actions in two browsers: edit from the menu and with the Up key,
// "(edited)" on both sides, reactions picked, changed and removed, a reply
// with its quote that jumps to the original, delete for everyone shown in
// place; all live, and the same after a reload.

import assert from 'node:assert/strict';
import {
  scenario, directChatWithAMessage, openChat, send, texts, message, waitLive, composer, pollEqual,
} from '../lib/harness.js';

function reactions(page, text) {
  return message(page, text).getByTestId('reaction').allTextContents();
}

async function openMenu(page, text) {
  const m = message(page, text);
  await m.hover();
  await m.getByTestId('message-actions').click();
  await page.getByTestId('message-menu').waitFor();
}

scenario('message actions: edit, react, reply, delete, live and after a reload', async (h) => {
  const { ann, bob, a, b } = await directChatWithAMessage(h, 'Helo Bob');

  // Edit from the menu: the composer holds the text; Enter saves it.
  await openMenu(a, 'Helo Bob');
  await a.getByTestId('message-menu').getByTestId('edit').click();
  await pollEqual(() => a.getByTestId('composer-mode').textContent(), 'Editing message', { message: 'edit mode' });
  assert.equal(await composer(a).inputValue(), 'Helo Bob');
  await composer(a).fill('Hello Bob');
  await composer(a).press('Enter');
  for (const page of [a, b]) {
    await message(page, 'Hello Bob').getByTestId('edited').waitFor();
    await pollEqual(() => texts(page), ['Hello Bob'], { message: 'one message, edited' });
  }
  // Up in the empty composer edits the last own message; Escape gives up.
  await composer(a).press('ArrowUp');
  assert.equal(await composer(a).inputValue(), 'Hello Bob');
  await composer(a).press('Escape');
  assert.equal(await composer(a).inputValue(), '');
  await composer(a).press('ArrowUp');
  await composer(a).fill('Hello Bob!');
  await composer(a).press('Enter');
  await message(b, 'Hello Bob!').waitFor();

  // Reactions: pick, change (one per person), shown to both, removed by pressing it.
  await openMenu(b, 'Hello Bob!');
  await b.getByRole('menuitem', { name: 'React with 👍' }).click();
  await pollEqual(() => reactions(a, 'Hello Bob!'), ['👍 1'], { message: 'Ann sees Bob’s 👍' });
  await openMenu(a, 'Hello Bob!');
  await a.getByRole('menuitem', { name: 'React with 👍' }).click();
  await pollEqual(() => reactions(b, 'Hello Bob!'), ['👍 2'], { message: 'two 👍' });
  await openMenu(b, 'Hello Bob!');
  await b.getByRole('menuitem', { name: 'React with 😂' }).click();
  // Changed in place: reactions keep the order in which people first reacted.
  await pollEqual(() => reactions(a, 'Hello Bob!'), ['😂 1', '👍 1'], { message: 'Bob changed his reaction' });
  await message(b, 'Hello Bob!').getByRole('button', { name: /^😂 1/ }).click();
  await pollEqual(() => reactions(a, 'Hello Bob!'), ['👍 1'], { message: 'Bob removed his reaction' });

  // A reply quotes the original; pressing the quote scrolls to it and highlights it.
  await openMenu(b, 'Hello Bob!');
  await b.getByTestId('message-menu').getByTestId('reply').click();
  await pollEqual(() => b.getByTestId('composer-mode').textContent(), `Replying to ${ann.name}: Hello Bob!`, { message: 'reply mode' });
  await send(b, 'Hi Ann, nice to hear from you');
  for (const page of [a, b]) {
    const quote = message(page, 'Hi Ann, nice to hear from you').getByTestId('quote');
    await pollEqual(() => quote.locator('.quote-text').textContent(), 'Hello Bob!', { message: 'the quote' });
  }
  await message(a, 'Hi Ann, nice to hear from you').getByTestId('quote').click();
  await a.locator('li.msg.highlight').filter({ hasText: 'Hello Bob!' }).waitFor();
  await h.shot(a, 'message-actions.png');

  // Delete for everyone: shown in place, and the reply's quote says so.
  a.once('dialog', (d) => d.accept());
  await openMenu(a, 'Hello Bob!');
  await a.getByTestId('message-menu').getByTestId('delete').click();
  for (const page of [a, b]) {
    await pollEqual(() => texts(page), ['This message was deleted', 'Hi Ann, nice to hear from you'], { message: 'deleted in place' });
    await pollEqual(() => message(page, 'Hi Ann, nice to hear from you').getByTestId('quote').locator('.quote-text').textContent(),
      'Deleted message', { message: 'the quote of a deleted message' });
    assert.equal(await message(page, 'This message was deleted').getByTestId('reaction').count(), 0);
  }
  // Ann cannot edit or delete Bob's message: her menu offers only reactions and Reply.
  await openMenu(a, 'Hi Ann, nice to hear from you');
  assert.equal(await a.getByTestId('message-menu').getByTestId('edit').count(), 0);
  assert.equal(await a.getByTestId('message-menu').getByTestId('delete').count(), 0);
  await a.keyboard.press('Escape');

  // After a reload, history shows the same state (no actions are replayed as messages).
  await b.reload();
  await waitLive(b);
  await openChat(b, ann.name);
  await pollEqual(() => texts(b), ['This message was deleted', 'Hi Ann, nice to hear from you'], { message: 'after a reload' });
  await pollEqual(() => message(b, 'Hi Ann, nice to hear from you').getByTestId('quote').locator('.quote-text').textContent(),
    'Deleted message', { message: 'quote after a reload' });
  await a.reload();
  await waitLive(a);
  await openChat(a, bob.name);
  await pollEqual(() => texts(a), ['This message was deleted', 'Hi Ann, nice to hear from you'], { message: 'Ann after a reload' });
});

scenario('message actions: an edit and a reaction made while the other page is closed show on its return', async (h) => {
  const { ann, a, b } = await directChatWithAMessage(h, 'First draft');
  const bobState = await b.context().storageState();
  await b.context().close();

  await composer(a).press('ArrowUp');
  await composer(a).fill('Final text');
  await composer(a).press('Enter');
  await message(a, 'Final text').getByTestId('edited').waitFor();
  await openMenu(a, 'Final text');
  await a.getByRole('menuitem', { name: 'React with ❤️' }).click();
  await pollEqual(() => reactions(a, 'Final text'), ['❤️ 1'], { message: 'Ann’s reaction' });

  const b2 = await h.newPage({ storageState: bobState });
  await b2.goto('/');
  await waitLive(b2);
  await openChat(b2, ann.name);
  await message(b2, 'Final text').getByTestId('edited').waitFor();
  await pollEqual(() => reactions(b2, 'Final text'), ['❤️ 1'], { message: 'Bob sees the reaction' });
  await pollEqual(() => texts(b2), ['Final text'], { message: 'no action shown as a message' });
});
