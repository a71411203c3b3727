// Entry point: chooses between the log-in screen and the app, and wires the
// client's hooks to notifications and the screen-reader announcer.

import { Store } from './store.js';
import { Client } from './client.js';
import { AuthView } from './ui/auth-view.js';
import { AppView } from './ui/app-view.js';
import { notifyIfHidden } from './notify.js';
import { enablePush, forgetNames, listenToServiceWorker, pushState, rememberNames } from './push.js';

const root = document.getElementById('app');
const announcer = document.getElementById('announcer');
const store = new Store();
const client = new Client(store, { onIncoming });
let view = null;
let notice = '';

function onIncoming(state, message) {
  // A muted chat raises nothing, unless it is the one being read.
  const reading = document.visibilityState === 'visible' && store.openChatId === state.id;
  if (store.isMuted(state) && !reading) return;
  const sender = store.userName(message.sender_id);
  const title = store.title(state);
  const where = state.info.kind === 'group' ? ` in ${title}` : '';
  if (document.visibilityState === 'visible') {
    const open = store.openChatId === state.id;
    announce(open ? `${sender}: ${message.text}` : `New message from ${sender}${where}`);
    return;
  }
  notifyIfHidden({
    title: state.info.kind === 'group' ? `${sender} in ${title}` : sender,
    body: message.text.length > 140 ? `${message.text.slice(0, 140)}…` : message.text,
    tag: state.id,
    onClick: () => {
      location.hash = `#/chat/${encodeURIComponent(state.id)}`;
    },
  });
}

function announce(text) {
  // A fresh node per announcement so that repeated texts are read too.
  announcer.replaceChildren(document.createTextNode(text));
}

function render() {
  if (store.session && !(view instanceof AppView)) {
    view?.destroy();
    if (!location.hash.startsWith('#/')) history.replaceState(null, '', location.pathname);
    view = new AppView(root, store, client);
    client.start();
    enablePush(client.api);
  } else if (!store.session && !(view instanceof AuthView)) {
    view?.destroy();
    client.stop();
    clearTimeout(namesTimer);
    forgetNames();
    if (location.hash.startsWith('#/')) history.replaceState(null, '', location.pathname);
    view = new AuthView(root, client, { notice });
    notice = '';
  }
}

store.subscribe((topic, detail) => {
  if (topic === 'notice') {
    notice = detail;
    if (view instanceof AuthView) {
      view.notice = detail;
      view.render();
    }
  }
  if (topic === 'session') render();
  if (topic === 'chats') rememberNamesSoon();
});

// Web Push (push.js, sw.js): subscribe once notifications are allowed; a
// clicked notification opens its chat; the worker learns the names to show.
window.addEventListener('parley:notifications-granted', () => {
  if (store.session) enablePush(client.api);
});
listenToServiceWorker((chatId) => {
  location.hash = `#/chat/${encodeURIComponent(chatId)}`;
});
let namesTimer = null;
function rememberNamesSoon() {
  clearTimeout(namesTimer);
  namesTimer = setTimeout(() => rememberNames(store), 1000);
}

render();

// For tests and debugging in the console.
window.parley = { store, client, push: pushState };
