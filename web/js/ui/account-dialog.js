// The account panel: display name, password, who sees our presence, the users
// we block (each with "Unblock"), and the logged-in devices, each with "Log
// out". Opened from the sidebar's name.

import { h, setChildren } from './dom.js';
import { busy, field, openModal, setError } from './dialogs.js';
import { formatFull } from './format.js';

function section(title, ...children) {
  return h('section', { class: 'account-section' }, h('h3', {}, title), ...children);
}

function nameForm(store, client) {
  const name = field({ id: 'account-name', label: 'Display name', autocomplete: 'nickname' });
  name.input.value = store.session?.display_name ?? '';
  const submit = h('button', { type: 'submit', class: 'btn primary small' }, 'Save name');
  const done = h('p', { class: 'muted small', role: 'status' });
  return h('form', { class: 'account-form', novalidate: true, 'data-testid': 'account-name-form', on: {
    submit: async (e) => {
      e.preventDefault();
      setError(name, '');
      done.textContent = '';
      const value = name.input.value.trim();
      if (!value) return setError(name, 'Enter a name.');
      busy(submit, true);
      try {
        await client.rename(value);
        done.textContent = 'Saved.';
      } catch (err) {
        setError(name, err.message);
      } finally {
        busy(submit, false);
      }
    },
  } }, name.wrap, submit, done);
}

function passwordForm(client, onDevicesChanged) {
  const current = field({ id: 'account-current-password', label: 'Current password', type: 'password', autocomplete: 'current-password' });
  const next = field({ id: 'account-new-password', label: 'New password', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters.' });
  const others = h('input', { type: 'checkbox', id: 'account-logout-others', checked: true });
  const submit = h('button', { type: 'submit', class: 'btn primary small' }, 'Change password');
  const done = h('p', { class: 'muted small', role: 'status' });
  return h('form', { class: 'account-form', novalidate: true, 'data-testid': 'account-password-form', on: {
    submit: async (e) => {
      e.preventDefault();
      setError(current, '');
      setError(next, '');
      done.textContent = '';
      if (!current.input.value) return setError(current, 'Enter your current password.');
      if (next.input.value.length < 8) return setError(next, 'Use at least 8 characters.');
      busy(submit, true);
      try {
        const res = await client.changePassword(current.input.value, next.input.value, others.checked);
        const n = res?.logged_out_device_ids?.length ?? 0;
        done.textContent = n ? `Password changed. ${n} other device${n === 1 ? '' : 's'} logged out.` : 'Password changed.';
        current.input.value = '';
        next.input.value = '';
        onDevicesChanged();
      } catch (err) {
        if (err.code === 'bad_credentials') setError(current, 'That is not your current password.');
        else setError(next, err.message);
      } finally {
        busy(submit, false);
      }
    },
  } }, current.wrap, next.wrap,
  h('label', { class: 'check', for: 'account-logout-others' }, others, ' Log out my other devices'),
  submit, done);
}

const VISIBILITY = [
  ['everyone', 'Everyone'],
  ['contacts', 'People I’ve chatted with'],
  ['nobody', 'Nobody'],
];

/** "Who can see when I'm online": saved as soon as it is chosen. */
function presenceForm(store, client) {
  const status = h('p', { class: 'muted small', role: 'status' });
  let saving = null;
  const radios = VISIBILITY.map(([value]) => h('input', { type: 'radio', name: 'presence-visibility', id: `presence-${value}`, value }));
  const show = (value) => { for (const r of radios) r.checked = r.value === value; };
  show(store.presenceVisibility);
  const form = h('fieldset', { class: 'choice-list', 'data-testid': 'presence-visibility', on: {
    change: async (e) => {
      const value = e.target.value;
      const before = store.presenceVisibility;
      status.textContent = 'Saving…';
      const run = (saving = client.setPresenceVisibility(value));
      try {
        await run;
        if (saving === run) status.textContent = 'Saved.';
      } catch (err) {
        if (saving !== run) return;
        show(before);
        status.textContent = `Could not save: ${err.message}`;
      }
    },
  } },
  h('legend', {}, 'Who can see when I’m online'),
  ...VISIBILITY.map(([value, label], i) => h('label', { class: 'check', for: `presence-${value}` }, radios[i], ` ${label}`)));
  // The current value from the server (another device may have changed it).
  client.api.me().then((me) => {
    if (typeof me.presence_visibility !== 'string') return;
    store.presenceVisibility = me.presence_visibility;
    if (!saving) show(me.presence_visibility);
  }, () => {});
  return h('div', {}, form, status);
}

/** The users we block, each with "Unblock". */
function blockedList(store, client) {
  const list = h('ul', { class: 'blocked-list', 'data-testid': 'blocked-list' });
  const status = h('p', { class: 'muted small', role: 'status' });
  const render = () => {
    const users = [...store.blocked].map(([userId, name]) => ({ userId, name }));
    status.textContent = users.length ? '' : 'You have not blocked anyone.';
    setChildren(list, ...users.map(({ userId, name }) => {
      const button = h('button', { type: 'button', class: 'btn subtle small', 'aria-label': `Unblock ${name}`, on: {
        click: async () => {
          busy(button, true);
          try {
            await client.unblock(userId);
            render();
            list.querySelector('button')?.focus();
          } catch (err) {
            status.textContent = `Could not unblock: ${err.message}`;
            busy(button, false);
          }
        },
      } }, 'Unblock');
      return h('li', { class: 'blocked-user', 'data-user-id': userId }, h('strong', { dir: 'auto' }, name), button);
    }));
  };
  render();
  client.loadBlocks().then(render);
  return h('div', {}, list, status);
}

export function openAccountDialog(store, client) {
  openModal('Account', () => {
    const list = h('ul', { class: 'device-list', 'data-testid': 'device-list' });
    const status = h('p', { class: 'muted small', role: 'status' });
    const load = async () => {
      let devices;
      try {
        devices = await client.devices();
      } catch (err) {
        status.textContent = err.message;
        return;
      }
      status.textContent = '';
      setChildren(list, ...devices.map((d) => {
        const out = h('button', { type: 'button', class: 'btn subtle small', 'aria-label': `Log out ${d.name}`, on: {
          click: async () => {
            busy(out, true);
            try {
              await client.logoutDevice(d.device_id);
              if (!d.current) load();
            } catch (err) {
              status.textContent = err.message;
              busy(out, false);
            }
          },
        } }, 'Log out');
        return h('li', { class: 'device', 'data-device-id': d.device_id },
          h('div', { class: 'device-text' },
            h('strong', { dir: 'auto' }, d.name),
            d.current ? h('span', { class: 'badge' }, 'this device') : null,
            h('span', { class: 'muted small' }, `Last active ${formatFull(d.last_active_at)} · logged in ${formatFull(d.created_at)}`)),
          out);
      }));
    };
    load();
    return h('div', { class: 'modal-body account' },
      section('Profile', nameForm(store, client)),
      section('Password', passwordForm(client, load)),
      section('Privacy', presenceForm(store, client)),
      section('Blocked users', blockedList(store, client)),
      section('Devices', status, list));
  });
}
