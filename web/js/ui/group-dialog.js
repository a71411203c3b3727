// A group's info: its name, its members and their roles. Admins rename the
// group, add and remove members and make members admins (or dismiss them);
// anyone leaves. Only admins see the controls for these. The dialog follows
// `chat` events, so a change made elsewhere (another admin, another device)
// shows at once, controls included. A former member sees the name and the
// members as they were when they left, and nothing to change.

import { h, setChildren } from './dom.js';
import { avatar } from './avatar.js';
import { utf8Length } from './format.js';
import { busy, field, openModal, setError } from './dialogs.js';

const MAX_NAME_BYTES = 200;

/** Words for a refused rename or role change. */
function describeGroupError(err, { member } = {}) {
  switch (err.code) {
    case 'forbidden':
      return 'Only admins can change the group. You may no longer be an admin.';
    case 'not_found':
      return member ? `${member} is no longer a member of this group.` : err.message;
    case 'invalid_request':
      // The server's reason: the last admin cannot step down, a name too long.
      return /admin/.test(err.message) ? 'A group needs at least one admin: make someone else an admin first.' : err.message;
    default:
      return err.message;
  }
}

function renameForm(store, client, chatId) {
  const name = field({ id: 'group-name', label: 'Group name' });
  const submit = h('button', { type: 'submit', class: 'btn subtle small' }, 'Rename');
  const status = h('p', { class: 'muted small', role: 'status', 'data-testid': 'rename-status' });
  const form = h('form', { class: 'rename-group', novalidate: true, on: {
    submit: async (e) => {
      e.preventDefault();
      setError(name, '');
      status.textContent = '';
      const value = name.input.value.trim();
      if (!value) return setError(name, 'Give the group a name.');
      if (utf8Length(value) > MAX_NAME_BYTES) return setError(name, `The name is too long: at most ${MAX_NAME_BYTES} bytes.`);
      if (value === store.chat(chatId)?.info.name) return undefined;
      busy(submit, true, 'Renaming…');
      try {
        await client.renameGroup(chatId, value);
        status.textContent = 'Renamed.';
      } catch (err) {
        setError(name, describeGroupError(err));
        name.input.focus();
      } finally {
        busy(submit, false, 'Rename');
        // Disabling the button while busy took the focus from it: give it back.
        if (!form.contains(document.activeElement)) submit.focus();
      }
    },
  } }, h('div', { class: 'rename-row' }, name.wrap, submit), status);
  return {
    form,
    /** Shows the current name unless the admin is typing a new one. */
    update(current) {
      if (document.activeElement !== name.input || !name.input.value) name.input.value = current;
    },
  };
}

export function openGroupDialog(store, client, chatId, { onLeft }) {
  let unsubscribe = () => {};
  openModal('Group info', (close) => {
    const title = h('p', { class: 'group-name', dir: 'auto', 'data-testid': 'group-name' });
    const rename = renameForm(store, client, chatId);
    const list = h('ul', { class: 'member-list', 'data-testid': 'member-list', 'aria-label': 'Members' });
    const listError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'group-error' });
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
    let leaving = false; // the focus goes where onLeft puts it
    const leaveBtn = h('button', { type: 'button', class: 'btn danger', on: {
      click: async () => {
        listError.textContent = '';
        busy(leaveBtn, true, 'Leaving…');
        leaving = true;
        try {
          await client.leaveGroup(chatId);
          close({ restoreFocus: false });
          onLeft?.();
        } catch (err) {
          leaving = false;
          listError.textContent = err.message;
          busy(leaveBtn, false, 'Leave group');
        }
      },
    } }, 'Leave group');

    // A button that calls the server, shows a refusal under the list and
    // leaves the focus where it was (the list is re-rendered by the chat
    // event). Busy is aria-disabled, not disabled: a disabled button loses the focus.
    const action = (text, label, run, describe) => h('button', { type: 'button', class: 'btn subtle small', 'aria-label': label, on: {
      click: async (e) => {
        const button = e.currentTarget;
        if (button.getAttribute('aria-disabled') === 'true') return;
        listError.textContent = '';
        button.setAttribute('aria-disabled', 'true');
        try {
          await run();
        } catch (err) {
          listError.textContent = describe(err);
        } finally {
          button.removeAttribute('aria-disabled');
        }
      },
    } }, text);

    const memberRow = (m, admin) => {
      const me = m.user_id === store.me;
      const name = store.memberName(m);
      const controls = [];
      if (admin) {
        const describe = (err) => describeGroupError(err, { member: name });
        if (m.role === 'admin') {
          controls.push(action(me ? 'Step down' : 'Dismiss as admin', me ? 'Step down as admin' : `Dismiss ${name} as admin`,
            () => client.setRole(chatId, m.user_id, 'member'), describe));
        } else {
          controls.push(action('Make admin', `Make ${name} an admin`, () => client.setRole(chatId, m.user_id, 'admin'), describe));
        }
        if (!me) controls.push(action('Remove', `Remove ${name}`, () => client.removeMember(chatId, m.user_id), (err) => err.message));
      }
      return h('li', { class: 'member', 'data-user-id': m.user_id },
        avatar(m.user_id, name, { size: 'sm', presence: store.shownPresence(m.user_id) }),
        h('span', { class: 'member-name' }, h('bdi', {}, name), me ? h('span', { class: 'muted' }, ' (you)') : null),
        m.role === 'admin' ? h('span', { class: 'role', 'data-testid': 'role' }, 'admin') : null,
        controls.length ? h('span', { class: 'member-controls' }, controls) : null);
    };

    let shown = '';
    // Opened by a member: closes when they are removed or leave.
    const member = !store.chat(chatId)?.removed;
    const render = () => {
      const s = store.chat(chatId);
      if (!s || (member && s.removed)) return close({ restoreFocus: !leaving });
      const admin = store.isAdmin(s);
      leaveBtn.hidden = s.removed;
      addForm.hidden = !admin;
      rename.form.hidden = !admin;
      title.hidden = admin;
      title.textContent = s.info.name;
      rename.update(s.info.name);
      // Rebuilt only when something shown changed, so that focus stays on a button that did not.
      const sig = JSON.stringify([admin, s.info.members, s.info.members.map((m) => store.shownPresence(m.user_id)?.status)]);
      if (sig === shown) return;
      // The focused control's member and place: "Make admin" becomes "Dismiss as admin" in its place.
      const row = list.contains(document.activeElement) ? document.activeElement.closest('.member') : null;
      const place = row ? [...row.querySelectorAll('button')].indexOf(document.activeElement) : -1;
      shown = sig;
      setChildren(list, s.info.members.map((m) => memberRow(m, admin)));
      if (row) {
        const again = list.querySelector(`.member[data-user-id="${CSS.escape(row.dataset.userId)}"]`);
        const buttons = again ? [...again.querySelectorAll('button')] : [];
        (buttons[place] ?? buttons[0] ?? list.closest('dialog')?.querySelector('.modal-head button'))?.focus();
      }
    };
    render();
    unsubscribe = store.subscribe((topic) => {
      if (topic === 'chats' || topic === 'presence' || topic === 'connection') render();
    });
    return h('div', { class: 'modal-body' }, title, rename.form,
      h('h3', { class: 'modal-section' }, 'Members'), list, listError, addForm,
      h('div', { class: 'modal-actions split' }, leaveBtn,
        h('button', { type: 'button', class: 'btn subtle', on: { click: close } }, 'Done')));
  }, { onClose: () => unsubscribe() });
}
