// The account panel: see your devices and log one out (it lands on the login
// screen), change your display name (your contact's chat list shows it
// live), change your password (the new one logs in, the old one does not).

import assert from 'node:assert/strict';
import { scenario, signup, login, startDirectChat, chatItem, poll, PASSWORD } from '../lib/harness.js';

scenario('account: devices, remote logout, display name, password', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const a2 = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await login(a2, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await chatItem(b, ann.name).waitFor();

  // Two devices, this one marked; log out the other.
  await a.getByTestId('account-button').click();
  await a.getByRole('heading', { name: 'Account' }).waitFor();
  const devices = a.getByTestId('device-list').locator('li.device');
  await poll(async () => (await devices.count()) === 2, { message: 'two devices listed' });
  assert.equal(await devices.filter({ hasText: 'this device' }).count(), 1);
  await h.shot(a, 'account.png');
  await devices.filter({ hasNotText: 'this device' }).getByRole('button', { name: /^Log out/ }).click();
  await poll(async () => (await devices.count()) === 1, { message: 'one device left' });
  // The other device is cut off: its socket closes and the app goes back to the login screen.
  await a2.getByRole('heading', { name: 'Welcome back' }).waitFor({ timeout: 15000 });

  // A new display name reaches Bob's chat list live.
  const name = a.getByRole('textbox', { name: 'Display name' });
  await name.fill('Ann Rivers');
  await a.getByRole('button', { name: 'Save name' }).click();
  await a.getByText('Saved.').waitFor();
  await chatItem(b, 'Ann Rivers').waitFor({ timeout: 15000 });
  await poll(async () => (await a.getByTestId('me-name').textContent()) === 'Ann Rivers', { message: 'own name in the sidebar' });

  // Password: the wrong current one is refused; then it changes.
  await a.getByLabel('Current password').fill('not my password');
  await a.getByLabel('New password').fill('a brand new secret');
  await a.getByRole('button', { name: 'Change password' }).click();
  await a.getByText('That is not your current password.').waitFor();
  await a.getByLabel('Current password').fill(PASSWORD);
  await a.getByRole('button', { name: 'Change password' }).click();
  await a.getByText(/^Password changed/).waitFor();

  const a3 = await h.newPage();
  await login(a3, { ...ann, password: 'a brand new secret' });
  const a4 = await h.newPage();
  await a4.goto('/');
  await a4.getByLabel('Email').fill(ann.email);
  await a4.getByLabel('Password').fill(PASSWORD);
  await a4.getByRole('button', { name: 'Log in' }).click();
  await a4.getByText('Wrong email or password.').waitFor();
  assert.equal(await a4.getByTestId('app-view').count(), 0);
});
