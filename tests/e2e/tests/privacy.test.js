// Privacy in the web app (docs/protocol.md, "Privacy"): a direct chat opened
// by someone else is a message request until its recipient accepts it or
// replies (a banner with Accept and Block, a tag in the list; the opener sees
// no presence, read receipts or typing until then); blocking and unblocking
// from a direct chat and from the account panel (the blocked user is never
// told, and the messages withheld meanwhile leave seq gaps that history
// cannot fill: no refetching, no errors); and who may see when you are online.

import assert from 'node:assert/strict';
import {
  scenario, signup, login, startDirectChat, openChat, send, texts, message, waitState, chatItem, composer,
  requestBanner, acceptRequest, poll, pollEqual, waitLive,
} from '../lib/harness.js';

/** Counts the page's history requests ("…/messages?…") for later assertions. */
function countHistory(page) {
  const seen = { after: 0, all: 0 };
  page.on('request', (r) => {
    if (r.method() !== 'GET' || !/\/v1\/chats\/[^/]+\/messages\?/.test(r.url())) return;
    seen.all++;
    if (/[?&]after=/.test(r.url())) seen.after++;
  });
  return seen;
}

/** Whether anything shown on the page speaks of a block (hidden elements do not count). */
function saysBlocked(page) {
  return page.evaluate(() => /you blocked|blocked you|unblock/i.test(document.body.innerText));
}

scenario('message request: a banner until accepted, live on the other tab; the opener sees nothing of the recipient until then', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  const b2 = await h.newPage({ viewport: { width: 375, height: 740 } }); // Bob's phone
  await login(b2, bob);

  await startDirectChat(a, bob.email, bob.name);
  // Ann, who opened the chat, has no banner.
  assert.equal(await requestBanner(a).count(), 0);
  await send(a, 'Hi Bob, Ann from the climbing club');
  await waitState(a, 'Hi Bob, Ann from the climbing club', 'sent');

  // Bob's list marks the request, on both of his devices.
  for (const page of [b, b2]) {
    await pollEqual(() => chatItem(page, ann.name).getAttribute('data-request'), 'true', { message: 'the list marks the request' });
    assert.equal(await chatItem(page, ann.name).getByTestId('chat-tag').textContent(), 'Request');
    assert.match(await chatItem(page, ann.name).getAttribute('aria-label'), /message request/);
  }
  await openChat(b, ann.name);
  await openChat(b2, ann.name);
  for (const page of [b, b2]) {
    const banner = requestBanner(page);
    await pollEqual(() => banner.locator('p').first().textContent(), `${ann.name} wants to chat with you`, { message: 'the banner' });
    await banner.getByRole('button', { name: 'Accept' }).waitFor();
    await banner.getByRole('button', { name: 'Block' }).waitFor();
    await message(page, 'Hi Bob, Ann from the climbing club').waitFor();
  }
  assert.equal(await b2.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling on a phone');
  await h.shot(b2, 'phone-request.png');

  // Bob is online and has read Ann's message, but she sees neither, nor his typing.
  await composer(b).pressSequentially('Hello', { delay: 20 });
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'offline', { message: 'Ann does not see Bob online' });
  assert.equal(await a.getByTestId('typing').textContent(), '', 'no typing shown to Ann');
  await composer(b).fill('');

  // Bob accepts on his computer: the banner goes on both devices, the tag from both lists.
  await requestBanner(b).getByRole('button', { name: 'Accept' }).click();
  await requestBanner(b).waitFor({ state: 'hidden' });
  assert.equal(await b.evaluate(() => document.activeElement?.id), 'composer-input', 'the focus moves to the composer');
  await requestBanner(b2).waitFor({ state: 'hidden' });
  for (const page of [b, b2]) await pollEqual(() => chatItem(page, ann.name).getAttribute('data-request'), 'false', { message: 'no request tag' });
  // The receipt of his earlier reading was never sent: Ann still has "sent" until he reads on.
  assert.equal(await message(a, 'Hi Bob, Ann from the climbing club').getAttribute('data-state'), 'sent');

  // Now Ann sees him online, his reading and his typing.
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Ann sees Bob online' });
  await send(a, 'Are you coming on Saturday?');
  await message(b, 'Are you coming on Saturday?').waitFor();
  await waitState(a, 'Are you coming on Saturday?', 'read');
  await waitState(a, 'Hi Bob, Ann from the climbing club', 'read');
  await composer(b).pressSequentially('Yes', { delay: 20 });
  await pollEqual(() => a.getByTestId('typing').textContent(), `${bob.name} is typing…`, { message: 'typing indicator' });

  // A reload keeps it accepted.
  await b2.reload();
  await waitLive(b2);
  await message(b2, 'Are you coming on Saturday?').waitFor();
  assert.equal(await requestBanner(b2).count(), 0);
});

scenario('message request: replying accepts it', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await send(a, 'Is this Bob?');
  await openChat(b, ann.name);
  await requestBanner(b).waitFor();
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'offline', { message: 'Bob hidden from Ann' });

  await send(b, 'It is!');
  await requestBanner(b).waitFor({ state: 'hidden' });
  await pollEqual(() => chatItem(b, ann.name).getAttribute('data-request'), 'false', { message: 'no request tag' });
  await message(a, 'It is!').waitFor();
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Ann sees Bob online' });
  await waitState(b, 'It is!', 'read');
});

scenario('blocking: from a request, the blocked state, the account panel, and the withheld messages\' gaps', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  const bobHistory = countHistory(b);
  await startDirectChat(a, bob.email, bob.name);
  await send(a, 'Buy cheap watches');
  await openChat(b, ann.name);
  await message(b, 'Buy cheap watches').waitFor();

  // Bob blocks Ann from the request's banner, confirming.
  let asked = '';
  b.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await requestBanner(b).getByRole('button', { name: 'Block' }).click();
  const blocked = b.getByTestId('blocked-banner');
  await pollEqual(() => blocked.locator('p').textContent(), `You blocked ${ann.name}.`, { message: 'the blocked banner' });
  assert.match(asked, /^Block Ann Lee\?/);
  assert.equal(await composer(b).count(), 0, 'no composer while blocked');
  assert.equal(await requestBanner(b).count(), 0, 'no request banner while blocked');
  assert.equal(await b.evaluate(() => document.activeElement?.textContent), 'Unblock', 'the focus on Unblock');
  await b.getByRole('button', { name: `Unblock ${ann.name}` }).waitFor(); // the header's button
  await pollEqual(() => chatItem(b, ann.name).getAttribute('data-blocked'), 'true', { message: 'the list marks it' });
  await pollEqual(() => b.getByTestId('chat-subtitle').textContent(), 'offline', { message: 'Bob does not see Ann online' });

  // Ann is told nothing: her composer works and her messages are acknowledged.
  await send(a, 'Hello?');
  await send(a, 'Anyone there?');
  await waitState(a, 'Anyone there?', 'sent');
  assert.equal(await a.getByTestId('blocked-banner').isVisible(), false);
  assert.equal(await saysBlocked(a), false, 'nothing says "blocked" to Ann');
  assert.equal(await a.getByTestId('chat-subtitle').textContent(), 'offline', 'Ann does not see Bob online');

  // The account panel lists Ann; Bob unblocks her there.
  await b.getByTestId('account-button').click();
  const dialog = b.getByRole('dialog', { name: 'Account' });
  const item = dialog.getByTestId('blocked-list').getByRole('listitem');
  await pollEqual(() => item.allTextContents(), [`${ann.name}Unblock`], { message: 'the blocked list' });
  await dialog.getByRole('button', { name: `Unblock ${ann.name}` }).click();
  await dialog.getByText('You have not blocked anyone.').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await composer(b).waitFor();
  await b.getByTestId('blocked-banner').waitFor({ state: 'hidden' });

  // What Ann sent meanwhile never comes; her next message does, past the gap,
  // which is asked for once and not again.
  const before = { ...bobHistory };
  await send(a, 'Sorry, wrong person');
  await message(b, 'Sorry, wrong person').waitFor();
  await send(b, 'No problem');
  await message(a, 'No problem').waitFor();
  await send(a, 'Bye');
  await message(b, 'Bye').waitFor();
  const expected = ['Buy cheap watches', 'Sorry, wrong person', 'No problem', 'Bye'];
  await pollEqual(() => texts(b), expected, { message: 'Bob’s conversation' });
  assert.ok(bobHistory.after - before.after <= 2, `the gap is asked for at most twice, not ${bobHistory.after - before.after} times`);
  assert.equal(await b.getByText(/Could not load/).count(), 0);

  // The same after a reload: no history request loops over the gap, no unread left.
  await b.reload();
  await waitLive(b);
  const reloaded = { ...bobHistory };
  await pollEqual(() => texts(b), expected, { message: 'Bob’s conversation after a reload' });
  await send(a, 'One more thing');
  await message(b, 'One more thing').waitFor();
  assert.ok(bobHistory.all - reloaded.all <= 4, `history asked ${bobHistory.all - reloaded.all} times after the reload`);
  await b.goto('/#/');
  await b.getByTestId('chat-list').waitFor();
  await pollEqual(() => chatItem(b, ann.name).getAttribute('data-unread'), '0', { message: 'no unread left by the gap' });
  await send(a, 'Last one');
  await pollEqual(() => chatItem(b, ann.name).getAttribute('data-unread'), '1', { message: 'a new message counts once' });
  // Ann, who was blocked, still sees her own messages, and never a blocked state.
  await pollEqual(() => texts(a), ['Buy cheap watches', 'Hello?', 'Anyone there?', 'Sorry, wrong person', 'No problem', 'Bye', 'One more thing', 'Last one'], { message: 'Ann’s conversation' });
  assert.equal(await saysBlocked(a), false);
});

scenario('blocking from the header of an accepted chat, and unblocking from the blocked banner', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage({ viewport: { width: 375, height: 740 } });
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await send(a, 'Hi');
  await openChat(b, ann.name);
  await send(b, 'Hi Ann');
  await message(a, 'Hi Ann').waitFor();
  await pollEqual(() => b.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Bob sees Ann online' });
  // Ann's second device, with the chat open, is not told of the block she makes on the first.
  const a2 = await h.newPage();
  await login(a2, ann);
  await openChat(a2, bob.name);
  await message(a2, 'Hi Ann').waitFor();

  // Ann blocks Bob from the header; a refused confirmation changes nothing.
  a.once('dialog', (d) => d.dismiss());
  await a.getByRole('button', { name: `Block ${bob.name}` }).click();
  await composer(a).waitFor();
  a.once('dialog', (d) => d.accept());
  await a.getByRole('button', { name: `Block ${bob.name}` }).click();
  await a.getByTestId('blocked-banner').getByText(`You blocked ${bob.name}.`).waitFor();
  // What it sends is refused, in words, and it then shows the block too.
  await send(a2, 'Sent from the other device');
  await waitState(a2, 'Sent from the other device', 'failed');
  assert.equal(await message(a2, 'Sent from the other device').locator('.msg-failed span').textContent(),
    'Not sent: You blocked this person: unblock them to write to them.');
  await a2.getByTestId('blocked-banner').getByText(`You blocked ${bob.name}.`).waitFor();
  // Bob no longer sees Ann's presence, and is not told why.
  await pollEqual(() => b.getByTestId('chat-subtitle').textContent(), 'offline', { message: 'Ann hidden from Bob' });
  assert.equal(await saysBlocked(b), false);
  await composer(b).waitFor();

  // Unblock from the banner: the composer is back and writing works again.
  await a.getByTestId('blocked-banner').getByRole('button', { name: 'Unblock' }).click();
  await composer(a).waitFor();
  await a.getByRole('button', { name: `Block ${bob.name}` }).waitFor();
  await send(a, 'Sorry, my cat walked on the keyboard');
  await message(b, 'Sorry, my cat walked on the keyboard').waitFor();
  await pollEqual(() => b.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Bob sees Ann online again' });
  assert.equal(await b.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
});

scenario('who can see when I am online: everyone, people I have chatted with, nobody', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const cy = h.user('Cy Park');
  const a = await h.newPage();
  const b = await h.newPage();
  const c = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await signup(c, cy);
  // Ann and Bob have chatted; Cy only shares a group with Bob.
  await startDirectChat(a, bob.email, bob.name);
  await send(a, 'Hi Bob');
  await acceptRequest(b, ann.name);
  await b.getByRole('button', { name: 'New group' }).click();
  await b.getByLabel('Group name').fill('Climbing');
  await b.getByLabel('Members').fill(cy.email);
  await b.getByRole('button', { name: 'Create group' }).click();
  await b.getByTestId('chat-title').getByText('Climbing', { exact: true }).waitFor();
  await openChat(c, 'Climbing');
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Ann sees Bob online' });

  const choice = (page, name) => page.getByRole('dialog', { name: 'Account' }).getByRole('radio', { name });
  await b.getByTestId('account-button').click();
  await pollEqual(() => choice(b, 'Everyone').isChecked(), true, { message: 'Everyone, the default' });
  await b.getByRole('group', { name: 'Who can see when I’m online' }).waitFor();

  await choice(b, 'Nobody').check();
  await b.getByRole('dialog', { name: 'Account' }).getByText('Saved.').waitFor();
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'offline', { message: 'Ann no longer sees Bob' });

  await choice(b, 'People I’ve chatted with').check();
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'online', { message: 'Ann, a contact, sees Bob again' });
  // Cy, who never chatted with Bob directly, does not (checked through the API the app uses).
  const cyView = await c.evaluate(async (id) => (await window.parley.client.api.presence([id]))[0], await b.evaluate(() => window.parley.store.me));
  assert.deepEqual([cyView.status, cyView.last_active_at], ['offline', 0]);

  // The panel shows the saved value, from the server, after a reload.
  await b.reload();
  await waitLive(b);
  await b.getByTestId('account-button').click();
  await pollEqual(() => choice(b, 'People I’ve chatted with').isChecked(), true, { message: 'the saved choice' });
  assert.equal(await choice(b, 'Everyone').isChecked(), false);
  // Keyboard: the choices are one radio group.
  await choice(b, 'People I’ve chatted with').focus();
  await b.keyboard.press('ArrowDown');
  await pollEqual(() => choice(b, 'Nobody').isChecked(), true, { message: 'arrow keys choose' });
  await b.getByRole('dialog', { name: 'Account' }).getByText('Saved.').waitFor();
  await pollEqual(() => a.getByTestId('chat-subtitle').textContent(), 'offline', { message: 'nobody sees Bob' });
  await poll(async () => (await b.evaluate(() => window.parley.client.api.me())).presence_visibility === 'nobody', { message: 'saved on the server' });
});
