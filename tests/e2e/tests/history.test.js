// History: scroll-back paging over a long conversation, filling a seq gap
// from history, and browser notifications while the tab is hidden.

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, acceptRequest, openChat, send, texts, message, waitState, chatItem, poll, pollEqual, waitLive,
} from '../lib/harness.js';

scenario('scroll-back paging shows a long history exactly once, in order', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(b, ann.email, ann.name);
  // Ann reads them as they come: opened later, the chat starts at the newest
  // message (with unread messages it would start at the first unread one).
  await openChat(a, bob.name);

  // Bob's client sends 130 messages in batches. The server runs without a
  // frame-rate limit here: a rate-limited send is resent later and so takes a
  // later seq, which would make "sent order" and "seq order" differ.
  const all = Array.from({ length: 130 }, (_, i) => `Message number ${i + 1}`);
  await b.evaluate(async (texts) => {
    const { client, store } = window.parley;
    for (let i = 0; i < texts.length; i += 25) {
      for (const text of texts.slice(i, i + 25)) client.sendText(store.openChatId, text);
      const deadline = Date.now() + 15000;
      while (client.outbox.entries.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (client.outbox.entries.length) throw new Error('sends not acknowledged');
    }
  }, all);

  await message(a, 'Message number 130').waitFor();
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'read as they came' });
  await a.evaluate(() => { location.hash = '#/'; });
  await a.reload();
  await waitLive(a);
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'read on the server' });
  await openChat(a, bob.name);
  await message(a, 'Message number 130').waitFor();
  const first = await texts(a);
  assert.ok(first.length < 130, `only the newest page at first (got ${first.length})`);
  assert.equal(first.at(-1), 'Message number 130');

  // Scroll to the top until everything is loaded.
  const scroller = a.getByRole('region', { name: 'Conversation history' });
  await poll(async () => {
    await scroller.evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
    return (await texts(a))[0] === 'Message number 1';
  }, { timeout: 20000, message: 'the first message after scrolling back' });
  assert.deepEqual(await texts(a), all);
  assert.equal(await a.getByRole('button', { name: 'Load older messages' }).isVisible(), false, 'nothing older to load');
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'all read' });
  await pollEqual(() => texts(b), all, { message: 'Bob’s side too' });
}, { serverArgs: ['--max-frames-per-second', '0'] });

scenario('a missed live message (seq gap) is fetched from history', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(b, ann.email, ann.name);
  await send(b, 'First');
  await openChat(a, bob.name);
  await message(a, 'First').waitFor();

  // Ann's page loses one live frame, as if it had never arrived.
  await a.evaluate(() => {
    const { client } = window.parley;
    const handle = client.handleFrame.bind(client);
    client.handleFrame = (frame) => (frame.type === 'message' && frame.text === 'Lost in transit' ? undefined : handle(frame));
  });
  await send(b, 'Lost in transit');
  await waitState(b, 'Lost in transit', 'sent');
  await send(b, 'Third');
  await pollEqual(() => texts(a), ['First', 'Lost in transit', 'Third'], { message: 'the gap filled, in order, once' });
});

scenario('a message in a hidden tab raises a notification once allowed', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  // A stand-in for the Notification API and page visibility, which headless Chromium cannot show.
  const initScript = () => {
    window.__notes = [];
    window.__asked = 0;
    let permission = 'default';
    class FakeNotification {
      static get permission() { return permission; }
      static requestPermission() { window.__asked += 1; permission = 'granted'; return Promise.resolve(permission); }
      constructor(title, options) { window.__notes.push({ title, body: options?.body }); }
      close() {}
    }
    window.Notification = FakeNotification;
    let hidden = false;
    window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event('visibilitychange')); };
    Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  };
  const a = await h.newPage({ initScript });
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(b, ann.email, ann.name);
  await send(b, 'Hello Ann');
  // Ann accepts Bob's request: from then on he sees her reading.
  await acceptRequest(a, bob.name);
  await message(a, 'Hello Ann').waitFor();

  // Nothing is asked on load; the button asks.
  assert.equal(await a.evaluate(() => window.__asked), 0);
  await a.getByRole('button', { name: 'Enable notifications' }).click();
  await pollEqual(() => a.getByRole('button', { name: 'Enable notifications' }).count(), 0, { message: 'button gone once granted' });

  // Visible tab: no notification.
  await send(b, 'While you look');
  await message(a, 'While you look').waitFor();
  assert.deepEqual(await a.evaluate(() => window.__notes), []);

  // Hidden tab: a notification, and no read receipt until the tab is seen.
  await a.evaluate(() => window.__setHidden(true));
  await send(b, 'Are you around?');
  await pollEqual(() => a.evaluate(() => window.__notes), [{ title: bob.name, body: 'Are you around?' }], { message: 'one notification' });
  await waitState(b, 'Are you around?', 'delivered');
  await a.evaluate(() => window.__setHidden(false));
  await waitState(b, 'Are you around?', 'read');
});
