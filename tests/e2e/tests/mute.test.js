// Muting a chat: for 8 hours, a week or until unmuted, from the chat's
// header; the chat list shows it, the user's other devices follow live (the
// `muted` chat event) and after a reload; a muted chat raises no
// notification, in the page or the browser, but still counts its unread
// messages; unmuting brings notifications back.

import assert from 'node:assert/strict';
import {
  scenario, signup, login, startDirectChat, openChat, send, message, chatItem, poll, pollEqual, waitLive,
  grantedNotifications,
} from '../lib/harness.js';
import { rest } from '../lib/server.js';

const MUTED_FOREVER = 253402300799999;
const HOUR = 3600 * 1000;

function mutedUntil(page, title) {
  return page.evaluate((t) => {
    const { store } = window.parley;
    return [...store.chats.values()].find((s) => store.title(s) === t)?.muted_until ?? null;
  }, title);
}

async function mute(page, choice) {
  await page.getByRole('button', { name: 'Mute notifications' }).click();
  await page.getByRole('radio', { name: choice }).check();
  await page.getByRole('button', { name: 'Mute', exact: true }).click();
  await page.getByRole('button', { name: 'Unmute notifications' }).waitFor();
}

scenario('mute a chat: no notifications, counts still shown, synced to the other devices', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a1 = await h.newPage({ initScript: grantedNotifications });
  const b = await h.newPage();
  await signup(a1, ann);
  await signup(b, bob);
  await startDirectChat(b, ann.email, ann.name);
  await send(b, 'Hi Ann');
  await openChat(a1, bob.name);
  await message(a1, 'Hi Ann').waitFor();
  // Ann's second device, on the chat list.
  const a2 = await h.newPage({ initScript: grantedNotifications });
  await login(a2, ann);
  await chatItem(a2, bob.name).waitFor();
  assert.equal(await chatItem(a2, bob.name).getAttribute('data-muted'), 'false');

  // Ann mutes the chat for 8 hours on her first device.
  const before = Date.now();
  await mute(a1, 'For 8 hours');
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-muted'), 'true', { message: 'muted in the list' });
  await chatItem(a1, bob.name).getByTestId('muted-icon').waitFor();
  assert.match(await chatItem(a1, bob.name).getAttribute('aria-label'), /, muted,/);
  const until = await mutedUntil(a1, bob.name);
  assert.ok(until >= before + 8 * HOUR && until <= Date.now() + 8 * HOUR, `muted for 8 hours (${until - before} ms)`);
  // The other device hears of it, live.
  await pollEqual(() => chatItem(a2, bob.name).getAttribute('data-muted'), 'true', { message: 'muted on the other device' });
  assert.equal(await mutedUntil(a2, bob.name), until);

  // Both of Ann's tabs in the background: Bob's messages raise nothing, and
  // still count as unread (in the list; the tab's title is left quiet).
  await a1.evaluate(() => window.__setHidden(true));
  await a2.evaluate(() => window.__setHidden(true));
  await send(b, 'While you are muted');
  await send(b, 'Still muted');
  await pollEqual(() => chatItem(a2, bob.name).getAttribute('data-unread'), '2', { message: 'two unread on the muted chat' });
  assert.equal(await chatItem(a2, bob.name).getByTestId('unread-badge').textContent(), '2');
  await message(a1, 'Still muted').waitFor();
  assert.deepEqual(await a1.evaluate(() => window.__notes), []);
  assert.deepEqual(await a2.evaluate(() => window.__notes), []);
  assert.equal(await a2.title(), 'Parley');
  await h.shot(a2, 'muted-list.png');

  // Ann unmutes on the second device: the first follows, and notifications come back.
  await a2.evaluate(() => window.__setHidden(false));
  await openChat(a2, bob.name);
  await a2.getByRole('button', { name: 'Unmute notifications' }).click();
  await a2.getByRole('button', { name: 'Mute notifications' }).waitFor();
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-muted'), 'false', { message: 'unmuted on the first device' });
  assert.equal(await chatItem(a1, bob.name).getByTestId('muted-icon').count(), 0);
  await send(b, 'Can you hear me now?');
  await pollEqual(() => a1.evaluate(() => window.__notes), [{ title: bob.name, body: 'Can you hear me now?' }], { message: 'a notification once unmuted' });

  // Until unmuted, and a week: both kept by the server, so a reload shows them.
  await a1.evaluate(() => window.__setHidden(false));
  await mute(a1, 'Until I unmute');
  assert.equal(await mutedUntil(a1, bob.name), MUTED_FOREVER);
  assert.match(await a1.getByRole('button', { name: 'Unmute notifications' }).getAttribute('title'), /until you unmute/);
  await pollEqual(() => mutedUntil(a2, bob.name), MUTED_FOREVER, { message: 'muted until unmuted on the other device' });
  await a1.reload();
  await waitLive(a1);
  await a1.getByRole('button', { name: 'Unmute notifications' }).waitFor();
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-muted'), 'true', { message: 'still muted after a reload' });
  // Switching to a week on the other device: unmute, then mute for a week.
  await a2.getByRole('button', { name: 'Unmute notifications' }).click();
  const weekFrom = Date.now();
  await mute(a2, 'For 1 week');
  await poll(async () => {
    const t = await mutedUntil(a1, bob.name);
    return t >= weekFrom + 7 * 24 * HOUR && t <= Date.now() + 7 * 24 * HOUR;
  }, { message: 'muted for a week, on the first device too' });

  // A mute ends by itself at its time: the list and the header say so then.
  const token = await a1.evaluate(() => window.parley.store.session.token);
  const chatId = await a1.evaluate(() => window.parley.store.openChatId);
  const ends = Date.now() + 5000;
  await rest(h.server.url, 'PUT', `/v1/chats/${encodeURIComponent(chatId)}/mute`, { token, body: { until: ends } });
  await pollEqual(() => mutedUntil(a1, bob.name), ends, { message: 'muted for 5 s' });
  assert.equal(await chatItem(a1, bob.name).getAttribute('data-muted'), 'true');
  await pollEqual(() => chatItem(a1, bob.name).getAttribute('data-muted'), 'false', { timeout: 12000, message: 'the mute over after 5 s' });
  await a1.getByRole('button', { name: 'Mute notifications' }).waitFor({ timeout: 2000 });
  await mute(a1, 'For 1 week');

  // The mute dialog and a muted chat on a phone.
  const phone = await h.newPage({ viewport: { width: 375, height: 740 } });
  await login(phone, ann);
  await chatItem(phone, bob.name).getByTestId('muted-icon').waitFor();
  await h.shot(phone, 'phone-muted-list.png');
  await openChat(phone, bob.name);
  await phone.getByRole('button', { name: 'Unmute notifications' }).click();
  await phone.getByRole('button', { name: 'Mute notifications' }).click();
  const dialog = await phone.locator('dialog').boundingBox();
  assert.ok(dialog.x >= 0 && dialog.x + dialog.width <= 375, 'the mute dialog fits the phone');
  await phone.keyboard.press('ArrowDown'); // radios: the arrow keys move the choice
  await phone.keyboard.press('Enter');
  await phone.getByRole('button', { name: 'Unmute notifications' }).waitFor();
  await pollEqual(async () => (await mutedUntil(phone, bob.name)) - Date.now() > 6 * 24 * HOUR, true, { message: 'a week, chosen from the keyboard' });
});
