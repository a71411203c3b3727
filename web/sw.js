// Parley's service worker: shows a notification for a Web Push message
// (docs/protocol.md, "Web Push") when no window of the app is in front, and
// opens the chat when the notification is clicked. Served from the root so
// that its scope covers the whole app.
//
// Names: the push carries ids only (the server encrypts it for this browser,
// but keeps it small); the app writes the names it knows to the cache below
// (web/js/push.js), and the notification uses them when it can.

const NAMES_CACHE = 'parley-push';
const NAMES_URL = '/__parley/push-names.json';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function names() {
  try {
    const cache = await caches.open(NAMES_CACHE);
    const res = await cache.match(NAMES_URL);
    return res ? await res.json() : {};
  } catch {
    return {};
  }
}

function readPayload(event) {
  try {
    const data = event.data?.json();
    return data && typeof data === 'object' ? data : null;
  } catch {
    return null;
  }
}

// The app is the page at the root (other paths are the API and assets).
function isApp(client) {
  const url = new URL(client.url);
  return url.origin === self.location.origin && url.pathname === '/';
}

function chatUrl(chatId) {
  return chatId ? `/#/chat/${encodeURIComponent(chatId)}` : '/';
}

async function onPush(event) {
  const push = readPayload(event);
  if (!push || typeof push.chat_id !== 'string') return;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const inFront = windows.find((w) => w.visibilityState === 'visible' && w.focused && isApp(w));
  if (inFront) {
    // The app is in front and got the message over its socket: tell it, show nothing.
    inFront.postMessage({ type: 'push', push });
    return;
  }
  const known = await names();
  const sender = known.users?.[push.sender_id];
  const chat = known.chats?.[push.chat_id];
  let title = sender || 'New message';
  if (chat?.kind === 'group' && chat.title) title = sender ? `${sender} in ${chat.title}` : chat.title;
  const count = Number.isInteger(push.count) && push.count > 1 ? push.count : 1;
  const preview = typeof push.preview === 'string' ? push.preview : '';
  const body = count > 1 ? `${preview}\n(${count} new messages)` : preview;
  await self.registration.showNotification(title, {
    body,
    tag: `chat:${push.chat_id}`, // one notification per chat, replaced by the next
    renotify: true,
    data: { chat_id: push.chat_id, seq: push.seq },
  });
}

async function onClick(event) {
  event.notification.close();
  const url = chatUrl(event.notification.data?.chat_id);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const app = windows.find(isApp);
  if (app) {
    await app.focus();
    // The app follows its hash; navigate() would reload it.
    app.postMessage({ type: 'open-chat', chat_id: event.notification.data?.chat_id });
    return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener('push', (event) => event.waitUntil(onPush(event)));
self.addEventListener('notificationclick', (event) => event.waitUntil(onClick(event)));
