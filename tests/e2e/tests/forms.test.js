// Forms and input: errors next to their fields, the text size limit,
// Enter / Shift+Enter, keyboard-only use, the phone layout, logging out.

import assert from 'node:assert/strict';
import {
  scenario, signup, login, startDirectChat, openChat, send, texts, message, composer, chatItem, pollEqual, poll, waitLive,
} from '../lib/harness.js';

scenario('sign-up and log-in errors are shown next to their fields', async (h) => {
  const ann = h.user('Ann Lee');
  const page = await h.newPage();
  await page.goto('/');
  // Wrong credentials: under the password.
  await page.getByLabel('Email').fill(ann.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await pollEqual(() => page.locator('#auth-password-error').textContent(), 'Wrong email or password.', { message: 'bad credentials error' });
  assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');

  // Sign-up checks before asking the server.
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Display name').fill('');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await pollEqual(() => page.locator('#auth-display_name-error').textContent(), 'Enter the name others will see.', { message: 'name error' });
  assert.equal(await page.locator('#auth-password-error').textContent(), 'Use at least 8 characters.');
  // The error is tied to the field for assistive technology.
  assert.match(await page.getByLabel('Password').getAttribute('aria-describedby'), /auth-password-error/);
  await h.shot(page, 'signup-errors.png');

  await page.getByLabel('Display name').fill(ann.name);
  await page.getByLabel('Password').fill(ann.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('app-view').waitFor();
  await waitLive(page);

  // Log out: the token and everything else of the session leave the storage.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByTestId('auth-view').waitFor();
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parley.'))), []);

  // The e-mail is taken now: the server's error goes under the e-mail field.
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Display name').fill('Another Ann');
  await page.getByLabel('Email').fill(ann.email);
  await page.getByLabel('Password').fill('another password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await pollEqual(() => page.locator('#auth-email-error').textContent(), 'An account with this email already exists. Log in instead?', { message: 'email taken error' });

  // Starting a chat with an unknown address: error under that field.
  await login(page, ann);
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Email address').fill('nobody@example.org');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await pollEqual(() => page.locator('#new-chat-email-error').textContent(), 'Nobody has signed up with nobody@example.org.', { message: 'unknown user error' });
});

scenario('keyboard only: sign up, start a chat, send with Enter, Shift+Enter for a new line, size limit', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const b = await h.newPage();
  await signup(b, bob);

  const page = await h.newPage();
  await page.goto('/');
  await page.getByLabel('Email').waitFor();
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el?.id || el?.getAttribute('aria-label') || el?.textContent.trim() || el?.tagName;
  });
  const tabTo = async (target) => {
    for (let i = 0; i < 30; i++) {
      if ((await focused()) === target) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached ${target}`);
  };
  await tabTo('Create an account');
  await page.keyboard.press('Enter');
  await pollEqual(focused, 'auth-display_name', { message: 'focus on the first sign-up field' });
  await page.keyboard.type(ann.name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ann.email);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'auth-password');
  await page.keyboard.type(ann.password);
  await page.keyboard.press('Enter');
  await page.getByTestId('app-view').waitFor();
  await waitLive(page);

  await tabTo('New chat');
  await page.keyboard.press('Enter');
  await pollEqual(focused, 'new-chat-email', { message: 'focus in the dialog' });
  await page.keyboard.type(bob.email);
  await page.keyboard.press('Enter');
  await page.getByTestId('chat-title').getByText(bob.name).waitFor();
  await pollEqual(focused, 'composer-input', { message: 'focus in the composer' });

  await page.keyboard.type('Hello from the keyboard');
  await page.keyboard.press('Enter');
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  await page.keyboard.press('Enter');
  await pollEqual(() => texts(page), ['Hello from the keyboard', 'line one\nline two'], { message: 'two messages, one with a newline' });
  await openChat(b, ann.name);
  await pollEqual(() => texts(b), ['Hello from the keyboard', 'line one\nline two'], { message: 'Bob gets both' });

  // The size limit counts UTF-8 bytes: 2049 × "é" is 4098 bytes.
  const box = composer(page);
  await box.fill('é'.repeat(2049));
  await poll(async () => /too long: 4,098 bytes, the limit is 4,096/.test(await page.locator('#composer-error').textContent()), { message: 'limit message' });
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  await box.press('Enter');
  assert.equal((await texts(page)).length, 2, 'an over-long text is not sent');
  await h.shot(page, 'text-limit.png');
  // Exactly at the limit is fine.
  await box.press('Backspace');
  await pollEqual(() => page.locator('#composer-error').textContent(), '', { message: 'limit message gone' });
  await box.press('Enter');
  await pollEqual(async () => (await texts(b)).at(-1)?.length, 2048, { message: 'Bob gets the 4096-byte message' });
});

scenario('phone-sized viewport: list and chat one at a time', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const b = await h.newPage();
  await signup(b, bob);
  const page = await h.newPage({ viewport: { width: 390, height: 780 } });
  await signup(page, ann);
  await startDirectChat(page, bob.email, bob.name);
  await send(page, 'Hi from my phone');
  assert.equal(await page.getByTestId('chat-list').isVisible(), false, 'the list hides while a chat is open');
  await openChat(b, ann.name);
  await send(b, 'Hi phone!');
  await page.getByRole('link', { name: 'Back to chats' }).click();
  await page.getByTestId('chat-list').waitFor();
  assert.equal(await page.getByTestId('chat-view').count(), 0);
  await pollEqual(() => chatItem(page, bob.name).getByTestId('chat-preview').textContent(), 'Hi phone!', { message: 'preview on phone' });
  // No horizontal scrolling at phone width.
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
  await h.shot(page, 'phone-list.png');
  await openChat(page, bob.name);
  await message(page, 'Hi phone!').waitFor();
});
