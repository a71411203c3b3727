// Reading back through a long chat with a real mouse wheel: older pages load
// as the reader nears the top, the message being read never jumps out of view
// when a page is put above it, no page is asked for twice, and every message
// down to seq 1 ends up loaded once, in order.

import assert from 'node:assert/strict';
import { scenario, signup, openChat, texts, message, chatItem, poll, pollEqual, restUser, restSend, waitLive } from '../lib/harness.js';
import { rest } from '../lib/server.js';

const COUNT = 300;

scenario('scrolling up with the wheel loads older history and keeps the reading position', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage({ viewport: { width: 1000, height: 700 } });
  await signup(a, ann);
  const { token } = await restUser(h, bob);
  const { user_id: annId } = await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(ann.email)}`, { token });
  const chat = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'direct', peer_id: annId } });
  const all = Array.from({ length: COUNT }, (_, i) => `Message number ${i + 1}`);
  // Ann reads them as they come (so that opening the chat later starts at the
  // newest message, not at an unread divider), then reloads: only the newest
  // page is loaded.
  await restSend(h, token, chat.chat_id, all[0]);
  await openChat(a, bob.name);
  for (const text of all.slice(1)) await restSend(h, token, chat.chat_id, text);
  await message(a, all.at(-1)).waitFor();
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'all read' });
  await a.evaluate(() => { location.hash = '#/'; });
  await a.reload();
  await waitLive(a);
  await pollEqual(() => chatItem(a, bob.name).getAttribute('data-unread'), '0', { message: 'read on the server' });
  await openChat(a, bob.name);
  await message(a, all.at(-1)).waitFor();
  assert.ok((await texts(a)).length < COUNT, 'only the newest page at first');

  // Watch from inside the page, every frame: the message at the top of the
  // view in one frame must still be in view in the next (a wheel step moves
  // far less than a screen). Also count history requests: each page once,
  // never two at a time.
  await a.evaluate(() => {
    const scroller = document.querySelector('[data-testid=chat-view] .messages');
    const watch = { log: [], jumps: [], frames: 0, inFlight: 0, maxInFlight: 0, befores: [] };
    window.__watch = watch;
    const inView = () => {
      const box = scroller.getBoundingClientRect();
      const seqs = [];
      for (const li of scroller.querySelectorAll('li.msg[data-seq]')) {
        const r = li.getBoundingClientRect();
        if (r.bottom > box.top && r.top < box.bottom) seqs.push(Number(li.dataset.seq));
      }
      return seqs;
    };
    let previousTop = null;
    const frame = () => {
      const seqs = inView();
      if (previousTop !== null && seqs.length && !seqs.includes(previousTop)) {
        watch.jumps.push({ was: previousTop, now: [seqs[0], seqs.at(-1)], scrollTop: scroller.scrollTop, log: [...watch.log] });
      }
      previousTop = seqs.length ? seqs[0] : previousTop;
      // The last frames (top seq, scrollTop, scrollHeight, messages), shown with a jump.
      watch.log.push([seqs[0], scroller.scrollTop, scroller.scrollHeight, scroller.querySelectorAll('li.msg').length].join(' '));
      if (watch.log.length > 8) watch.log.shift();
      watch.frames++;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    const { api } = window.parley.client;
    const history = api.history.bind(api);
    api.history = async (chatId, params) => {
      if (params?.before) watch.befores.push(params.before);
      watch.inFlight++;
      watch.maxInFlight = Math.max(watch.maxInFlight, watch.inFlight);
      try {
        return await history(chatId, params);
      } finally {
        watch.inFlight--;
      }
    };
  });

  const scroller = a.getByRole('region', { name: 'Conversation history' });
  const box = await scroller.boundingBox();
  await a.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const firstLoaded = async () => (await texts(a))[0];
  const deadline = Date.now() + 120000;
  for (let wheels = 1; ; wheels++) {
    await a.mouse.wheel(0, -250);
    // Each wheel turn is watched by the frames that follow it.
    const frames = await a.evaluate(() => window.__watch.frames);
    await poll(() => a.evaluate((f) => window.__watch.frames > f + 2, frames), { message: 'frames after a wheel turn' });
    const { jumps } = await a.evaluate(() => window.__watch);
    assert.deepEqual(jumps, [], `the message at the top stayed in view (after ${wheels} wheel turns)`);
    if ((await firstLoaded()) === all[0] && (await scroller.evaluate((el) => el.scrollTop)) === 0) break;
    assert.ok(Date.now() < deadline, `the start of the chat not reached after ${wheels} wheel turns`);
  }

  const watch = await a.evaluate(() => window.__watch);
  assert.deepEqual(watch.jumps, [], 'no jump at any frame');
  assert.equal(watch.maxInFlight, 1, 'one history request at a time');
  assert.deepEqual(watch.befores, [...new Set(watch.befores)], 'no page asked for twice');
  assert.ok(watch.befores.length >= Math.ceil(COUNT / 50) - 1, `pages loaded one by one (${watch.befores.length})`);
  assert.deepEqual(await texts(a), all, 'every message once, in order');
  await pollEqual(() => a.getByRole('button', { name: 'Load older messages' }).count(), 0, { message: 'nothing older to load' });
  await h.shot(a, 'scrolled-back.png');
});
