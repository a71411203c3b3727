// "Message info" of one of our messages in a group: who has read it and who
// has received it, of the members who count for it (docs/clients.md). Kept
// current while open from the store's markers (receipts.js), which the live
// `receipt` and `delivered` frames move.

import { h, setChildren } from './dom.js';
import { openModal } from './dialogs.js';
import { receiptSummary } from '../receipts.js';

/** Opens the dialog for our message `seq` of chat `chatId`. */
export function openMessageInfo(store, client, chatId, seq) {
  const body = h('div', { class: 'modal-body message-info', 'data-testid': 'message-info' });
  const render = () => {
    const state = store.chat(chatId);
    if (!state) return;
    const summary = receiptSummary(state.markers, state.info.members, store.me, seq);
    const section = (testid, heading, users) => h('section', { class: 'message-info-part', 'data-testid': testid },
      h('h3', {}, heading),
      users.length
        ? h('ul', { class: 'message-info-names' }, users.map((u) => h('li', { dir: 'auto' }, store.userName(u))))
        : h('p', { class: 'hint' }, 'Nobody yet'));
    setChildren(body,
      section('read-by', `Read by ${summary.read.length} of ${summary.total}`, summary.read),
      section('delivered-to', `Delivered to ${summary.delivered.length} of ${summary.total}`, summary.delivered));
  };
  const unsubscribe = store.subscribe((topic, detail) => {
    if ((topic === 'messages' && (detail === chatId || detail === undefined)) || topic === 'chats') render();
  });
  render();
  client.receipts.load(chatId); // the newest the server knows
  openModal('Message info', () => body, { onClose: unsubscribe });
}
