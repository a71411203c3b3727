// parleyd is killed (SIGKILL) and started again on the same port and data
// directory while both pages are open: the pages reconnect by themselves, and
// a message typed during the outage is delivered once.

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, acceptRequest, chatItem, openChat, send, texts, message, waitState, waitLive, pollEqual, poll,
} from '../lib/harness.js';

scenario('server killed and restarted: pages reconnect, outage message delivered once', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  // Bob accepts Ann's request first: until then she would not see his reading.
  await chatItem(b, ann.name).waitFor();
  await acceptRequest(b, ann.name);
  await send(a, 'Before the crash');
  await message(b, 'Before the crash').waitFor();
  await waitState(a, 'Before the crash', 'read');

  await h.server.kill('SIGKILL');
  const offline = (page) => poll(async () => ['waiting', 'connecting'].includes(await page.getByTestId('connection').getAttribute('data-status')), { message: 'offline banner' });
  await offline(a);
  await offline(b);
  await a.getByTestId('connection').getByText(/Offline|Connecting/).waitFor();
  await h.shot(a, 'offline.png');

  // Typed while the server is down: shown at once as pending.
  await send(a, 'Typed during the outage');
  assert.equal(await message(a, 'Typed during the outage').getAttribute('data-state'), 'pending');

  await h.server.start(); // same port, same data directory
  await waitLive(a, 30000);
  await waitLive(b, 30000);

  await message(b, 'Typed during the outage').waitFor({ timeout: 20000 });
  await waitState(a, 'Typed during the outage', 'read');
  // After the outage, live traffic flows both ways; everything is there once, in order.
  await send(b, 'Back online');
  await message(a, 'Back online').waitFor();
  const expected = ['Before the crash', 'Typed during the outage', 'Back online'];
  await pollEqual(() => texts(a), expected, { message: 'Ann’s conversation' });
  await pollEqual(() => texts(b), expected, { message: 'Bob’s conversation' });
  // And the server stored it once: history from a fresh load agrees.
  await b.reload();
  await waitLive(b);
  await openChat(b, ann.name);
  await pollEqual(() => texts(b), expected, { message: 'Bob’s conversation after a reload' });
});
