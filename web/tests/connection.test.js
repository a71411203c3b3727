// Unit tests of js/connection.js under Node's own runner (`node --test`; ctest
// entry web_unit_tests): a fake WebSocket and a fake route() stand in for the
// browser and the cluster. Nothing waits on wall-clock time: backoff waits are
// cut short with retryNow(), the way the page's "Retry now" button does.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Connection, Outbox, reconnectTarget, backoffDelay, webSocketUrl } from '../js/connection.js';

const A = 'ws://10.0.0.1:8181/v1/ws';
const B = 'ws://10.0.0.2:8181/v1/ws';
const C = 'ws://10.0.0.3:8181/v1/ws';

// The browser globals connection.js touches.
globalThis.window = new EventTarget();
globalThis.document = Object.assign(new EventTarget(), { visibilityState: 'visible' });

class FakeWebSocket {
  static OPEN = 1;
  static opened = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.opened.push(this);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  // Test side: the server accepts, answers, or the connection dies.
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }
  frame(obj) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
  die() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}
globalThis.WebSocket = FakeWebSocket;

// The next tick of the event loop: route() is async.
const settle = () => new Promise((resolve) => setImmediate(resolve));

function memoryCursor(initial = null) {
  let value = initial;
  return { get: () => value, set: (c) => (value = c) };
}

// A connection whose page came from node A; `answers` are what route() returns, one per call
// (a function throws, as when node A does not answer).
function connection(answers) {
  const routeCalls = [];
  const conn = new Connection({
    url: A,
    getToken: () => 'token-1',
    cursor: memoryCursor(),
    outbox: new Outbox({ load: () => [], save: () => {} }),
    onFrame: () => {},
    onStatus: () => {},
    onUnauthorized: () => {},
    route: async () => {
      const next = answers.shift();
      routeCalls.push(next);
      if (typeof next === 'function') return next();
      return next ?? null;
    },
  });
  return { conn, routeCalls };
}

// Opens the socket the connection just made, says welcome, and returns it.
async function welcome(conn, cursor) {
  await settle();
  const ws = FakeWebSocket.opened.at(-1);
  ws.open();
  ws.frame({ type: 'welcome', user_id: 'u1', heartbeat_interval_ms: 5000, cursor });
  return ws;
}

test('reconnectTarget follows the route unless it names a node this device cannot use', () => {
  assert.equal(reconnectTarget(B, A, [B]), A, 'the ring still names the node just lost');
  assert.equal(reconnectTarget(C, A, [B]), C, 'a new home');
  assert.equal(reconnectTarget(B, A, []), B, 'nothing to avoid');
  assert.equal(reconnectTarget(B, B, [B]), B, 'the node answered itself: it is alive');
  assert.equal(reconnectTarget(C, A, [B, C]), A, 'a node that could not be reached');
});

test('after its node dies, with the ring still naming it, the device resumes on the node that answered', async (t) => {
  const here = { url: B, answeredBy: A, nodes: [A, B, C] };
  const { conn, routeCalls } = connection([here, here]);
  t.after(() => conn.stop());
  conn.start();
  const onB = await welcome(conn, 'o5');
  assert.equal(onB.url, B, 'first connection goes home');
  assert.equal(conn.status, 'live');
  onB.frame({ type: 'message', chat_id: 'c1', seq: 1, cursor: 'o6' });

  onB.die(); // kill -9 of node B
  assert.equal(conn.status, 'waiting', 'the jitter before the first attempt is kept');
  conn.retryNow();
  const onA = await welcome(conn, 'o6');
  assert.equal(routeCalls.length, 2, 'the route is asked again');
  assert.equal(onA.url, A, 'not the dead node the route still names');
  assert.deepEqual(onA.sent[0], { type: 'hello', token: 'token-1', cursor: 'o6' }, 'resumes with its cursor');
  assert.equal(conn.status, 'syncing');
  onA.frame({ type: 'synced', cursor: 'o9' });
  assert.equal(conn.status, 'live');
});

test('a home node that cannot be reached is avoided on the next attempt', async (t) => {
  const here = { url: B, answeredBy: A, nodes: [A, B] };
  const { conn } = connection([here, here]);
  t.after(() => conn.stop());
  conn.start();
  await settle();
  const first = FakeWebSocket.opened.at(-1);
  assert.equal(first.url, B);
  first.die(); // never opened
  conn.retryNow();
  await settle();
  assert.equal(FakeWebSocket.opened.at(-1).url, A);
});

test('once back, the device follows the route again: a later loss goes to the new home', async (t) => {
  const { conn } = connection([
    { url: B, answeredBy: A, nodes: [A, B, C] },
    { url: B, answeredBy: A, nodes: [A, B, C] },
    { url: C, answeredBy: A, nodes: [A, C] },
  ]);
  t.after(() => conn.stop());
  conn.start();
  (await welcome(conn, 'o1')).die();
  conn.retryNow();
  const onA = await welcome(conn, 'o1');
  assert.equal(onA.url, A);
  assert.deepEqual(conn.unusable, [], 'a welcome forgets the nodes avoided');
  onA.die();
  conn.retryNow();
  await settle();
  assert.equal(FakeWebSocket.opened.at(-1).url, C, 'the ring moved the user: its new home');
});

test('the node the page came from, when it is the home and answers, is used even after a drop', async (t) => {
  const home = { url: A, answeredBy: A, nodes: [A, B] };
  const { conn } = connection([home, home]);
  t.after(() => conn.stop());
  conn.start();
  (await welcome(conn, 'o1')).die(); // a network blip: A is alive, it answers the route
  conn.retryNow();
  await settle();
  assert.equal(FakeWebSocket.opened.at(-1).url, A);
});

test('when no node answers the route, a live node of the last answer is tried', async (t) => {
  const down = () => {
    throw new TypeError('Failed to fetch');
  };
  const { conn } = connection([{ url: A, answeredBy: A, nodes: [A, B, C] }, down]);
  t.after(() => conn.stop());
  conn.start();
  (await welcome(conn, 'o1')).die(); // A, the page's own node, died
  conn.retryNow();
  const next = await welcome(conn, 'o1');
  assert.equal(next.url, B);
  assert.equal(next.sent[0].cursor, 'o1');
});

test('a single node answers null: the page\'s own node', async (t) => {
  const { conn } = connection([null, null]);
  t.after(() => conn.stop());
  conn.start();
  (await welcome(conn, 'o1')).die();
  conn.retryNow();
  await settle();
  assert.equal(FakeWebSocket.opened.at(-1).url, A);
});

test('a move frame is followed at once, without asking the route', async (t) => {
  const { conn, routeCalls } = connection([{ url: B, answeredBy: A, nodes: [A, B, C] }]);
  t.after(() => conn.stop());
  conn.start();
  const onB = await welcome(conn, 'o1');
  onB.frame({ type: 'move', url: 'http://10.0.0.3:8181' });
  await settle();
  assert.equal(FakeWebSocket.opened.at(-1).url, C);
  assert.equal(routeCalls.length, 1);
});

test('backoffDelay keeps equal jitter and its ceiling; webSocketUrl maps node URLs', () => {
  assert.equal(backoffDelay(0, { baseMs: 1000, maxMs: 15000 }, () => 0), 500);
  assert.equal(backoffDelay(0, { baseMs: 1000, maxMs: 15000 }, () => 1), 1000);
  assert.equal(backoffDelay(10, { baseMs: 1000, maxMs: 15000 }, () => 1), 15000);
  assert.equal(webSocketUrl('http://10.0.0.2:8181/'), B);
  assert.equal(webSocketUrl('https://chat.example.org'), 'wss://chat.example.org/v1/ws');
});

// A line that died silently (no close event: a lost network, a NAT that
// forgot the connection) is given up within about two heartbeat intervals of
// its last frame, not 35 s; a line that answers the probe stays up.
test('a silent dead line is noticed within about two heartbeat intervals', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
  const { conn } = connection([]);
  t.after(() => conn.stop());
  conn.start();
  const ws = await welcome(conn, 'o1');
  assert.equal(conn.status, 'live');
  const lastFrameAt = Date.now();
  // A working line answers the probe: no reconnect, however long it is quiet otherwise.
  for (let i = 0; i < 8; i++) {
    t.mock.timers.tick(2500);
    const probe = ws.sent.at(-1);
    if (probe.type === 'presence_subscribe') {
      assert.deepEqual(probe.user_ids, ['u1'], 'the probe asks for our own presence');
      ws.frame({ type: 'presence', user_id: 'u1', status: 'online', last_active_at: Date.now() });
    }
  }
  assert.equal(conn.status, 'live', 'an answering line is kept');
  assert.ok(ws.sent.filter((f) => f.type === 'heartbeat').length >= 4, 'a heartbeat every interval (20 s)');
  // Now nothing comes back.
  const silentFrom = Date.now();
  let gaveUpAt = null;
  while (gaveUpAt === null && Date.now() - silentFrom < 60_000) {
    t.mock.timers.tick(500);
    if (conn.status !== 'live') gaveUpAt = Date.now();
  }
  assert.ok(gaveUpAt !== null, 'the dead line was never given up');
  assert.equal(conn.status, 'waiting', 'it reconnects (after its backoff)');
  assert.ok(gaveUpAt - silentFrom <= 2 * 5000 + 2500, `gave up ${gaveUpAt - silentFrom} ms after the last answer`);
  assert.ok(gaveUpAt - lastFrameAt > 0);
});
