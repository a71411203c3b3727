// Modal dialogs: start a direct chat, create a group, mute a chat (a group's
// info is in group-dialog.js).
// Built on <dialog>: focus is trapped, Escape closes, focus returns to the opener.

import { h } from './dom.js';
import { icon } from './icons.js';

/** Opens a modal; `build(close)` returns its body. Returns {dialog, close}. */
export function openModal(title, build, { onClose } = {}) {
  const opener = document.activeElement;
  const titleId = `dlg-title-${Math.random().toString(36).slice(2, 8)}`;
  const dialog = h('dialog', { class: 'modal', 'aria-labelledby': titleId });
  let restoreFocus = true;
  // close({restoreFocus: false}) when the action moves focus elsewhere (an opened chat).
  const close = (opts) => {
    if (opts?.restoreFocus === false) restoreFocus = false;
    dialog.close();
  };
  dialog.append(
    h('header', { class: 'modal-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'btn icon-btn', 'aria-label': 'Close', on: { click: close } }, icon('close'))),
    build(close));
  dialog.addEventListener('close', () => {
    onClose?.();
    dialog.remove();
    if (restoreFocus && opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) close(); // a click on the backdrop
  });
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector('input, textarea')?.focus();
  return { dialog, close };
}

/** A labelled field with an error line; returns {wrap, input, error}. */
export function field({ id, label, type = 'text', hint, multiline = false, autocomplete = 'off', placeholder }) {
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
  const input = multiline
    ? h('textarea', { id, name: id, rows: '3', placeholder, dir: 'auto', 'aria-describedby': describedBy })
    : h('input', { id, name: id, type, autocomplete, placeholder, dir: type === 'text' ? 'auto' : null, 'aria-describedby': describedBy });
  const error = h('p', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { id: `${id}-hint`, class: 'field-hint' }, hint) : null,
    error);
  return { wrap, input, error };
}

export function setError(f, message) {
  f.error.textContent = message;
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

export function busy(button, on, label) {
  button.disabled = on;
  if (label) button.textContent = label;
}

export function splitEmails(text) {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

export function openNewChatDialog(client, { onOpen }) {
  openModal('New chat', (close) => {
    const email = field({ id: 'new-chat-email', label: 'Email address', type: 'email', hint: 'The person must already have an account.', placeholder: 'name@example.org' });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Start chat');
    return h('form', { class: 'modal-body', novalidate: true, on: {
      submit: async (e) => {
        e.preventDefault();
        setError(email, '');
        const value = email.input.value.trim();
        if (!value) return setError(email, 'Enter an email address.');
        busy(submit, true, 'Opening…');
        try {
          const chatId = await client.startDirectChat(value);
          close({ restoreFocus: false });
          onOpen(chatId);
        } catch (err) {
          setError(email, err.message);
          email.input.focus();
          busy(submit, false, 'Start chat');
        }
      },
    } }, email.wrap, h('div', { class: 'modal-actions' },
      h('button', { type: 'button', class: 'btn subtle', on: { click: close } }, 'Cancel'), submit));
  });
}

export function openNewGroupDialog(client, { onOpen }) {
  openModal('New group', (close) => {
    const name = field({ id: 'new-group-name', label: 'Group name', placeholder: 'Weekend trip' });
    const members = field({ id: 'new-group-members', label: 'Members', multiline: true, hint: 'Email addresses, separated by commas or new lines. You are added automatically.', placeholder: 'bob@example.org, carol@example.org' });
    const formError = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Create group');
    return h('form', { class: 'modal-body', novalidate: true, on: {
      submit: async (e) => {
        e.preventDefault();
        setError(name, '');
        setError(members, '');
        formError.textContent = '';
        const groupName = name.input.value.trim();
        if (!groupName) {
          setError(name, 'Give the group a name.');
          return name.input.focus();
        }
        busy(submit, true, 'Creating…');
        try {
          const chatId = await client.createGroup(groupName, splitEmails(members.input.value));
          close({ restoreFocus: false });
          onOpen(chatId);
        } catch (err) {
          if (err.field === 'members' || err.code === 'group_too_large') {
            setError(members, err.message);
            members.input.focus();
          } else if (err.code === 'invalid_request' && /name/.test(err.message)) {
            setError(name, 'The name must be 1 to 200 characters.');
            name.input.focus();
          } else {
            formError.textContent = err.message;
          }
          busy(submit, false, 'Create group');
        }
      },
    } }, name.wrap, members.wrap, formError, h('div', { class: 'modal-actions' },
      h('button', { type: 'button', class: 'btn subtle', on: { click: close } }, 'Cancel'), submit));
  });
}

/** How long to mute a chat: 8 hours, a week, or until unmuted (as WhatsApp offers). */
export const MUTE_CHOICES = [
  { id: 'mute-8h', label: 'For 8 hours', ms: 8 * 3600 * 1000 },
  { id: 'mute-week', label: 'For 1 week', ms: 7 * 24 * 3600 * 1000 },
  { id: 'mute-always', label: 'Until I unmute', ms: null },
];

/** Mutes a chat: no notifications from it (its unread count still shows). */
export function openMuteDialog(store, client, chatId) {
  const state = store.chat(chatId);
  if (!state) return;
  openModal(`Mute ${store.title(state)}`, (close) => {
    const choices = MUTE_CHOICES.map((c, i) => h('label', { class: 'check', for: c.id },
      h('input', { type: 'radio', name: 'mute-for', id: c.id, value: c.id, checked: i === 0 }), ` ${c.label}`));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Mute');
    const form = h('form', { class: 'modal-body', novalidate: true, on: {
      submit: async (e) => {
        e.preventDefault();
        error.textContent = '';
        const picked = MUTE_CHOICES.find((c) => form.querySelector(`#${c.id}`).checked) ?? MUTE_CHOICES[0];
        busy(submit, true, 'Muting…');
        try {
          await client.mute(chatId, picked.ms === null ? null : Date.now() + picked.ms);
          close();
        } catch (err) {
          error.textContent = `Could not mute: ${err.message}`;
          busy(submit, false, 'Mute');
          submit.focus(); // disabling it while busy took the focus
        }
      },
    } },
    h('fieldset', { class: 'choices' },
      h('legend', {}, 'No notifications from this chat. Its unread messages are still counted.'),
      choices),
    error,
    h('div', { class: 'modal-actions' },
      h('button', { type: 'button', class: 'btn subtle', on: { click: close } }, 'Cancel'), submit));
    return form;
  });
}
