// A server that stops answering without closing its sockets (SIGSTOP: the
// TCP connections stay open, nothing comes back, as on a lost network): the
// page notices within about two heartbeat intervals (connection.js's probe;
// its bound is proved with mocked time in web/tests), says so on a
// phone-width layout with a chat open as well as in the list, and stops
// showing its peer online while it cannot know. Once the server answers
// again the page is live again and shows the peer's presence.

import assert from 'node:assert/strict';
import { scenario, signup, startDirectChat, openChat, chatItem, send, message, waitLive, poll, pollEqual } from '../lib/harness.js';

scenario('a silently dead connection: "Connecting…" on a phone, the peer no longer shown online', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const b = await h.newPage();
  await signup(b, bob);
  const phone = await h.newPage({ viewport: { width: 375, height: 740 } });
  await signup(phone, ann);
  await startDirectChat(phone, bob.email, bob.name);
  await openChat(b, ann.name);
  await send(b, 'Are you there?');
  await message(phone, 'Are you there?').waitFor();
  const subtitle = phone.getByTestId('chat-subtitle');
  await pollEqual(() => subtitle.textContent(), 'online', { message: 'Bob online on Ann’s phone' });

  h.server.proc.kill('SIGSTOP');
  try {
    // The chat is open: the sidebar's banner is hidden on a phone, the header says it.
    await poll(async () => /Connecting|Offline/.test(await subtitle.textContent()), { message: '"Connecting…" in the chat header' });
    assert.equal(await phone.getByTestId('chat-list').isVisible(), false, 'the list is hidden while a chat is open');
    assert.equal(await phone.locator('.chat-head .presence-dot.online').count(), 0, 'Bob not shown online');
    assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
    await h.shot(phone, 'phone-connecting.png');
    // The list says it too, and shows no one online.
    await phone.getByRole('link', { name: 'Back to chats' }).click();
    await phone.getByTestId('chat-list').waitFor();
    await poll(async () => (await phone.getByTestId('connection').getAttribute('data-status')) !== 'live', { message: 'banner' });
    await phone.getByTestId('connection').getByText(/Offline|Connecting/).waitFor();
    assert.equal(await chatItem(phone, bob.name).locator('.presence-dot.online').count(), 0, 'no online dot');
  } finally {
    h.server.proc.kill('SIGCONT');
  }
  await waitLive(phone, 30000);
  await waitLive(b, 30000);
  await poll(async () => (await chatItem(phone, bob.name).locator('.presence-dot.online').count()) === 1, { timeout: 20000, message: 'Bob online again' });
});
