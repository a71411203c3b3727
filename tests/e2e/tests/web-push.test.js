// Web Push in the browser: the service worker (web/sw.js) shows a pushed
// message as a notification when the app is not in front and stays quiet when
// it is; and the whole chain from the page's subscription to the notification
// — the page subscribes with the server's key and registers the subscription,
// parleyd encrypts and signs a push for it (RFC 8291, RFC 8292), a push-service
// stand-in here decrypts and checks it, and the decrypted payload is delivered
// to the worker through the DevTools protocol (headless Chromium has no push
// service of its own, so PushManager is stood in for in that scenario).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import crypto from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { scenario, signup, restUser, restSend, poll, pollEqual } from '../lib/harness.js';
import { rest } from '../lib/server.js';

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

/** RFC 8291 / RFC 8188, as the browser reads a push: the plaintext, or throws. */
function decrypt(body, ua, auth) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const ikm = hmac(hmac(auth, ua.computeSecret(asPublic)),
    Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const record = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = record.length - 1;
  while (end >= 0 && record[end] === 0) end -= 1;
  assert.equal(record[end], 2, 'last-record delimiter');
  return record.subarray(0, end).toString('utf8');
}

/** The claims of a VAPID JWT if `k` (base64url P-256 point) signed it. */
function verifyVapid(authorization) {
  const m = /^vapid t=([^,]+), k=(.+)$/.exec(authorization ?? '');
  assert.ok(m, `Authorization: ${authorization}`);
  const [jwt, k] = [m[1], m[2]];
  const point = Buffer.from(k, 'base64url');
  const key = crypto.createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) } });
  const [header, payload, signature] = jwt.split('.');
  const ok = crypto.verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  assert.ok(ok, 'VAPID signature');
  assert.equal(JSON.parse(Buffer.from(header, 'base64url')).alg, 'ES256');
  return { k, claims: JSON.parse(Buffer.from(payload, 'base64url')) };
}

/** A push service on 127.0.0.1 recording what it is sent; answers 201. */
async function pushService() {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { requests, server, url: (path) => `http://127.0.0.1:${server.address().port}${path}` };
}

/** The registration id of the app's service worker, through the DevTools protocol. */
async function workerRegistration(cdp, scope) {
  const seen = new Map();
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
    for (const r of registrations) seen.set(r.scopeURL, r);
  });
  await cdp.send('ServiceWorker.enable');
  const found = await poll(() => seen.get(scope) && !seen.get(scope).isDeleted && seen.get(scope), { message: `a registration for ${scope}` });
  return found.registrationId;
}

function notifications(page) {
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
  });
}

// Every push message the worker passes to the app instead of showing it.
const recordWorkerMessages = () => {
  window.__pushMessages = [];
  navigator.serviceWorker?.addEventListener('message', (e) => window.__pushMessages.push(e.data));
};

scenario('the service worker shows a push as a notification unless the app is in front', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const b = await h.newPage({ permissions: ['notifications'], initScript: recordWorkerMessages });
  await signup(b, bob);
  const a = await restUser(h, ann);
  const bobId = await b.evaluate(() => window.parley.store.me);
  const chat = await rest(h.server.url, 'POST', '/v1/chats', { token: a.token, body: { kind: 'direct', peer_id: bobId } });
  const sent = await restSend(h, a.token, chat.chat_id, 'Hello there');
  await b.getByTestId('chat-item').first().waitFor();
  // The worker is active, and the page tried to subscribe: headless Chromium
  // has no push service, which the app takes quietly.
  assert.equal(await b.evaluate(async () => Boolean((await navigator.serviceWorker.ready).active)), true);
  await poll(() => b.evaluate(() => ['subscribed', 'unavailable'].includes(window.parley.push.status)), { message: 'the subscription attempt to end' });
  // The names the worker shows are written for it.
  await poll(() => b.evaluate(async () => {
    const res = await caches.match('/__parley/push-names.json');
    return res && Object.values((await res.json()).users).includes('Ann Lee');
  }), { message: 'names cached for the worker' });

  const cdp = await b.context().newCDPSession(b);
  const registrationId = await workerRegistration(cdp, `${h.server.url}/`);
  const push = (payload) => cdp.send('ServiceWorker.deliverPushMessage', { origin: h.server.url, registrationId, data: JSON.stringify(payload) });
  const payload = { type: 'message', chat_id: chat.chat_id, seq: sent.seq, sender_id: a.user_id, preview: 'Are you around?', count: 1, id: 1 };

  // The app is in front: the worker hands the push to it and shows nothing.
  await b.bringToFront();
  assert.equal(await b.evaluate(() => document.hasFocus() && document.visibilityState === 'visible'), true, 'the app is in front');
  await push(payload);
  await poll(() => b.evaluate((seq) => window.__pushMessages.some((m) => m.type === 'push' && m.push.seq === seq), sent.seq), { message: 'the push handed to the app' });
  assert.deepEqual(await notifications(b), []);

  // No window of the app: a notification, titled with the sender's name.
  const observer = await b.context().newPage();
  await observer.goto('/healthz'); // same origin, not the app
  await b.goto('about:blank');
  const shown = [{
    title: 'Ann Lee', body: 'Lunch at one?\n(2 new messages)', tag: `chat:${chat.chat_id}`, data: { chat_id: chat.chat_id, seq: sent.seq + 1 },
  }];
  // For a moment after the navigation the worker may still find the page
  // that left as the app in front, and hand the push to it. So the push is
  // delivered again until it shows: one tag per chat, so never two.
  await poll(async () => {
    if (isDeepStrictEqual(await notifications(observer), shown)) return true;
    await push({ ...payload, seq: sent.seq + 1, preview: 'Lunch at one?', count: 2 });
    return false;
  }, { interval: 500, message: 'one notification for the chat' });
  assert.deepEqual(await notifications(observer), shown);
  // A payload that is not the server's shows nothing and breaks nothing.
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: h.server.url, registrationId, data: 'not json' });
  await push({ ...payload, seq: sent.seq + 2, preview: 'Still there?', count: 1 });
  await pollEqual(() => notifications(observer).then((n) => n.map((x) => x.body)), ['Still there?'], { message: 'the next push replaces it' });
});

scenario('the page registers its subscription and parleyd pushes to it, encrypted and signed', async (h) => {
  const service = await pushService();
  try {
    // A browser's subscription: its key pair and auth secret stay here.
    const ua = crypto.createECDH('prime256v1');
    ua.generateKeys();
    const auth = crypto.randomBytes(16);
    const subscription = { endpoint: service.url('/wpush/bob'), expirationTime: null, keys: { p256dh: b64u(ua.getPublicKey()), auth: b64u(auth) } };
    const standIn = (sub) => {
      window.__serverKeys = [];
      PushManager.prototype.getSubscription = async () => null;
      PushManager.prototype.subscribe = async function subscribe(options) {
        window.__serverKeys.push(btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey))));
        return { ...sub, options, toJSON: () => sub, unsubscribe: async () => true };
      };
    };
    const ann = h.user('Ann Lee');
    const bob = h.user('Bob Stone');
    const b = await h.newPage({ permissions: ['notifications'], initScript: { content: `(${standIn})(${JSON.stringify(subscription)})` } });
    await signup(b, bob);
    await pollEqual(() => b.evaluate(() => window.parley.push.status), 'subscribed', { message: 'the page to subscribe' });
    const { public_key: serverKey } = await rest(h.server.url, 'GET', '/v1/push/vapid-public-key');
    assert.deepEqual(await b.evaluate(() => window.__serverKeys), [Buffer.from(serverKey, 'base64url').toString('base64')]);
    const token = await b.evaluate(() => window.parley.store.session.token);
    const devices = await rest(h.server.url, 'GET', '/v1/devices', { token });
    assert.equal(devices.devices.find((d) => d.current).push, 'webpush');

    // Bob closes the app; Ann writes.
    const bobId = await b.evaluate(() => window.parley.store.me);
    const observer = await b.context().newPage();
    await observer.goto('/healthz');
    await b.goto('about:blank');
    const a = await restUser(h, ann);
    const chat = await rest(h.server.url, 'POST', '/v1/chats', { token: a.token, body: { kind: 'direct', peer_id: bobId } });
    const sent = await restSend(h, a.token, chat.chat_id, 'Ping over Web Push');

    const request = await poll(() => service.requests.find((r) => r.url === '/wpush/bob'), { timeout: 20000, message: 'a push request' });
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-encoding'], 'aes128gcm');
    assert.ok(Number(request.headers.ttl) > 0);
    const { k, claims } = verifyVapid(request.headers.authorization);
    assert.equal(k, serverKey);
    assert.equal(claims.aud, service.url(''));
    assert.ok(claims.exp > Date.now() / 1000 && claims.exp <= Date.now() / 1000 + 24 * 3600);
    const plaintext = decrypt(request.body, ua, auth);
    const payload = JSON.parse(plaintext);
    assert.equal(payload.chat_id, chat.chat_id);
    assert.equal(payload.seq, sent.seq);
    assert.equal(payload.sender_id, a.user_id);
    assert.equal(payload.preview, 'Ping over Web Push');
    assert.equal(payload.count, 1);

    // What the browser would hand its worker.
    const cdp = await observer.context().newCDPSession(observer);
    const registrationId = await workerRegistration(cdp, `${h.server.url}/`);
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: h.server.url, registrationId, data: plaintext });
    await poll(async () => (await notifications(observer)).some((n) => n.body === 'Ping over Web Push' && n.data.chat_id === chat.chat_id), { message: 'the notification' });
  } finally {
    service.server.close();
  }
}, { serverArgs: ['--push-allow-hosts', '127.0.0.1'] });
