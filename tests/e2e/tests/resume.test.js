// Offline delivery and multiple devices: a user closes its browser, the other
// sends five messages; the first comes back as the same device (its stored
// token and cursor) and sees exactly those five, once, in order. A second
// device of the same user (a new login) sees the same history and live traffic.

import assert from 'node:assert/strict';
import {
  scenario, signup, login, startDirectChat, openChat, send, texts, message, waitState, chatItem,
  waitLive, pollEqual, currentChatId,
} from '../lib/harness.js';

scenario('resume after absence, exactly once; a second device sees the same', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await send(a, 'Going offline for a bit');
  await openChat(b, ann.name);
  await message(b, 'Going offline for a bit').waitFor();
  await send(b, 'OK, I will write meanwhile');
  await message(a, 'OK, I will write meanwhile').waitFor();
  await waitState(b, 'OK, I will write meanwhile', 'read'); // Ann's read marker is on the server
  const chatId = await currentChatId(a);

  // Ann's browser goes away; its storage (token, cursor) is kept, as a closed browser keeps it.
  const annStorage = await a.context().storageState();
  await a.context().close();

  const five = ['one', 'two', 'three', 'four', 'five'].map((w) => `While you were away: ${w}`);
  for (const text of five) {
    await send(b, text);
    await waitState(b, text, 'sent');
  }

  // Ann comes back as the same device.
  const a2 = await h.newPage({ storageState: annStorage });
  await a2.goto('/');
  await waitLive(a2);
  await pollEqual(() => chatItem(a2, bob.name).getAttribute('data-unread'), '5', { message: 'five unread after coming back' });
  await openChat(a2, bob.name);
  const history = ['Going offline for a bit', 'OK, I will write meanwhile', ...five];
  await pollEqual(() => texts(a2), history, { message: 'history plus exactly the five, in order' });
  // Live traffic after the resume: anything processed before it is final.
  await send(b, 'Welcome back!');
  await pollEqual(() => texts(a2), [...history, 'Welcome back!'], { message: 'no duplicates after the backlog' });
  await waitState(b, 'Welcome back!', 'read');
  assert.equal(await currentChatId(a2), chatId);

  // A second device of Ann's: a new login.
  const phone = await h.newPage({ viewport: { width: 390, height: 800 } });
  await login(phone, ann);
  await openChat(phone, bob.name);
  await pollEqual(() => texts(phone), [...history, 'Welcome back!'], { message: 'second device history' });

  // Live traffic reaches both of Ann's devices, once each.
  await send(b, 'Both of your devices should get this');
  await message(a2, 'Both of your devices should get this').waitFor();
  await message(phone, 'Both of your devices should get this').waitFor();
  // Ann writes from the phone: her laptop shows it as her own message, and Bob gets it.
  await send(phone, 'Replying from my phone');
  await message(b, 'Replying from my phone').waitFor();
  await message(a2, 'Replying from my phone').waitFor();
  assert.equal(await message(a2, 'Replying from my phone').getAttribute('class').then((c) => c.includes('mine')), true);
  const all = [...history, 'Welcome back!', 'Both of your devices should get this', 'Replying from my phone'];
  for (const page of [a2, phone, b]) await pollEqual(() => texts(page), all, { message: 'everyone’s final conversation' });
  await h.shot(phone, 'phone-chat.png');
});
