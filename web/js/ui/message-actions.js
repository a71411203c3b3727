// The parts of a message bubble that message actions add (docs/protocol.md,
// "Message actions"): the quote of a reply, the reactions under a message,
// and the menu of a message (react, reply, edit, delete). Built fresh on each
// render of a bubble; callers pass what to do.

import { h } from './dom.js';
import { QUICK_REACTIONS, quoteText, reactionGroups } from '../actions.js';

/**
 * The quote at the top of a reply. `quoted`: the message, null while it is
 * being fetched, undefined when it could not be found.
 */
export function quoteBlock(seq, quoted, senderName, onJump) {
  let text;
  if (quoted === null) text = 'Loading…';
  else if (!quoted) text = 'Message not available';
  else if (quoted.deleted) text = 'Deleted message';
  else text = quoteText(quoted.text);
  return h('button', {
    type: 'button',
    class: 'quote',
    'data-testid': 'quote',
    'aria-label': `Reply to ${quoted ? senderName : 'a message'}: ${text}. Show the original`,
    on: { click: () => onJump(seq) },
  },
  quoted ? h('span', { class: 'quote-sender', dir: 'auto' }, senderName) : null,
  h('span', { class: 'quote-text', dir: 'auto' }, text));
}

/**
 * Reactions grouped by emoji; pressing one sets (or, if it is yours, removes)
 * your reaction. Without `onReact` (a chat that ended for you) they are only shown.
 */
export function reactionsRow(message, me, userName, onReact) {
  const groups = reactionGroups(message.reactions, me);
  if (!groups.length) return null;
  return h('div', { class: 'reactions', 'data-testid': 'reactions' },
    groups.map((g) => {
      const names = g.users.map((u) => (u === me ? 'you' : userName(u))).join(', ');
      return h('button', {
        type: 'button',
        class: `reaction${g.mine ? ' mine' : ''}`,
        'aria-pressed': String(g.mine),
        'aria-label': `${g.emoji} ${g.users.length}: ${names}`,
        title: names,
        'data-testid': 'reaction',
        disabled: !onReact,
        on: { click: () => onReact?.(g.mine ? '' : g.emoji) },
      }, `${g.emoji} ${g.users.length}`);
    }));
}

/**
 * The menu of one message: quick reactions, then Reply, Edit, Message info
 * (who received and read it) and Delete as `actions` allows. Arrow keys move between items, Escape closes it.
 * @param {{react: (emoji: string) => void, reply?: () => void, edit?: () => void, info?: () => void, remove?: () => void}} actions
 */
export function messageMenu(mine, actions, close) {
  const items = [];
  const item = (label, testid, fn, extra = {}) => {
    const b = h('button', { type: 'button', role: 'menuitem', class: 'menu-item', 'data-testid': testid, ...extra, on: { click: () => { close(); fn(); } } }, label);
    items.push(b);
    return b;
  };
  const reactions = h('div', { class: 'menu-reactions', role: 'group', 'aria-label': 'React' },
    QUICK_REACTIONS.map((emoji) => item(emoji, 'react-option', () => actions.react(emoji), {
      'aria-label': `React with ${emoji}`,
      'aria-pressed': String(actions.current === emoji),
      class: `menu-item emoji${actions.current === emoji ? ' mine' : ''}`,
    })));
  const menu = h('div', {
    class: `msg-menu ${mine ? 'mine' : 'theirs'}`,
    role: 'menu',
    'aria-label': 'Message actions',
    'data-testid': 'message-menu',
    on: {
      keydown: (e) => {
        const i = items.indexOf(document.activeElement);
        if (e.key === 'Escape') {
          e.preventDefault();
          close(true);
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {
          e.preventDefault();
          items[(i + 1) % items.length].focus();
        } else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {
          e.preventDefault();
          items[(i - 1 + items.length) % items.length].focus();
        }
      },
    },
  }, reactions,
  actions.current ? item('Remove reaction', 'unreact', () => actions.react('')) : null,
  actions.reply ? item('Reply', 'reply', actions.reply) : null,
  actions.edit ? item('Edit', 'edit', actions.edit) : null,
  actions.info ? item('Message info', 'message-info', actions.info) : null,
  actions.remove ? item('Delete for everyone', 'delete', actions.remove, { class: 'menu-item danger' }) : null);
  queueMicrotask(() => items[0]?.focus());
  return menu;
}
