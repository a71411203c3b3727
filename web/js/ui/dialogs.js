// Modal dialogs: start a direct chat, create a group, manage a group's members.
// Built on <dialog>: focus is trapped, Escape closes, focus returns to the opener.

import { h, setChildren } from './dom.js';
import { avatar } from './avatar.js';
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

/** Members of a group: admins add and remove; anyone leaves. Stays current with `chat` events. */
export function openMembersDialog(store, client, chatId, { onLeft }) {
  let unsubscribe = () => {};
  openModal('Members', (close) => {
    const list = h('ul', { class: 'member-list', 'data-testid': 'member-list' });
    const listError = h('p', { class: 'form-error', role: 'alert' });
    const add = field({ id: 'add-member-email', label: 'Add a member by email', type: 'email', placeholder: 'name@example.org' });
    const addBtn = h('button', { type: 'submit', class: 'btn primary' }, 'Add');
    const addForm = h('form', { class: 'add-member', novalidate: true, on: {
      submit: async (e) => {
        e.preventDefault();
        setError(add, '');
        const value = add.input.value.trim();
        if (!value) return setError(add, 'Enter an email address.');
        busy(addBtn, true, 'Adding…');
        try {
          await client.addMember(chatId, value);
          add.input.value = '';
        } catch (err) {
          setError(add, err.code === 'forbidden' ? 'Only admins can add members.' : err.message);
        }
        busy(addBtn, false, 'Add');
        add.input.focus();
      },
    } }, add.wrap, addBtn);
    const leaveBtn = h('button', { type: 'button', class: 'btn danger', on: {
      click: async () => {
        listError.textContent = '';
        busy(leaveBtn, true, 'Leaving…');
        try {
          await client.leaveGroup(chatId);
          close({ restoreFocus: false });
          onLeft?.();
        } catch (err) {
          listError.textContent = err.message;
          busy(leaveBtn, false, 'Leave group');
        }
      },
    } }, 'Leave group');

    const render = () => {
      const s = store.chat(chatId);
      if (!s || s.removed) return close();
      const admin = store.isAdmin(s);
      addForm.hidden = !admin;
      setChildren(list, s.info.members.map((m) => {
        const me = m.user_id === store.me;
        const remove = admin && !me
          ? h('button', { type: 'button', class: 'btn subtle small', 'aria-label': `Remove ${m.display_name}`, on: {
            click: async (e) => {
              listError.textContent = '';
              e.currentTarget.disabled = true;
              try {
                await client.removeMember(chatId, m.user_id);
              } catch (err) {
                listError.textContent = err.message;
                e.currentTarget.disabled = false;
              }
            },
          } }, 'Remove')
          : null;
        return h('li', { class: 'member', 'data-user-id': m.user_id },
          avatar(m.user_id, m.display_name, { size: 'sm', presence: store.shownPresence(m.user_id) }),
          h('span', { class: 'member-name' }, h('bdi', {}, m.display_name), me ? h('span', { class: 'muted' }, ' (you)') : null),
          m.role === 'admin' ? h('span', { class: 'role' }, 'admin') : null,
          remove);
      }));
    };
    render();
    unsubscribe = store.subscribe((topic) => {
      if (topic === 'chats' || topic === 'presence') render();
    });
    return h('div', { class: 'modal-body' }, list, listError, addForm, h('div', { class: 'modal-actions split' }, leaveBtn,
      h('button', { type: 'button', class: 'btn subtle', on: { click: close } }, 'Done')));
  }, { onClose: () => unsubscribe() });
}
