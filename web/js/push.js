// Web Push: registers the service worker (/sw.js), and once the user allows
// notifications subscribes with the server's applicationServerKey and
// registers the subscription for this device (PUT /v1/devices/current/push).
// A browser without a push service (headless Chromium, some privacy
// settings) refuses to subscribe: the app goes on without pushes, quietly.
// Also keeps the names the service worker shows (sw.js) up to date.

const NAMES_CACHE = 'parley-push';
const NAMES_URL = '/__parley/push-names.json';

/** What the last attempt ended with, for tests and debugging: idle, unsupported, subscribed, unavailable. */
export const pushState = { status: 'idle', error: '' };

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && window.isSecureContext;
}

let registration = null;

/** Registers the service worker; resolves to its registration, or null. */
export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
  try {
    registration ??= await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    return registration;
  } catch (e) {
    pushState.error = String(e?.message ?? e);
    return null;
  }
}

/** The base64url key as bytes, as PushManager.subscribe wants it. */
export function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true; // not told: assume it is ours
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

/**
 * Subscribes this browser and registers the subscription with the server,
 * when notifications are allowed. Never throws; the outcome is in pushState.
 * @param {import('./api.js').Api} api
 */
export async function enablePush(api) {
  if (!pushSupported()) {
    pushState.status = 'unsupported';
    return pushState;
  }
  if (!('Notification' in window) || Notification.permission !== 'granted') return pushState;
  try {
    const reg = await registerServiceWorker();
    if (!reg) throw new Error(pushState.error || 'no service worker');
    await navigator.serviceWorker.ready;
    const { public_key: publicKey } = await api.request('GET', '/v1/push/vapid-public-key');
    const key = keyBytes(publicKey);
    let subscription = await reg.pushManager.getSubscription();
    // Subscribed with another server key (the server's key changed): start over.
    if (subscription && !sameKey(subscription, key)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await api.request('PUT', '/v1/devices/current/push', { provider: 'webpush', subscription: subscription.toJSON() });
    pushState.status = 'subscribed';
    pushState.error = '';
  } catch (e) {
    pushState.status = 'unavailable';
    pushState.error = String(e?.message ?? e);
  }
  return pushState;
}

/** Writes the names of users and chats the service worker may show. */
export async function rememberNames(store) {
  if (!('caches' in window)) return;
  const users = {};
  const chats = {};
  for (const state of store.chats.values()) {
    chats[state.id] = { kind: state.info.kind, title: store.title(state) };
    for (const m of state.info.members ?? []) {
      const name = store.users.get(m.user_id);
      if (name) users[m.user_id] = name;
    }
  }
  try {
    const cache = await caches.open(NAMES_CACHE);
    await cache.put(NAMES_URL, new Response(JSON.stringify({ users, chats }), { headers: { 'Content-Type': 'application/json' } }));
  } catch {
    // private browsing may refuse storage: notifications then show no names
  }
}

/** Drops the names kept for the worker (on logout: they are the user's contacts). */
export async function forgetNames() {
  if (!('caches' in window)) return;
  try {
    await caches.delete(NAMES_CACHE);
  } catch {
    // nothing kept
  }
}

/** Calls `onOpenChat(chatId)` when a notification of the service worker is clicked. */
export function listenToServiceWorker(onOpenChat) {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'open-chat' && typeof event.data.chat_id === 'string') onOpenChat(event.data.chat_id);
  });
}
