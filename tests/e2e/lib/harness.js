// Test harness: each scenario gets its own parleyd and browser; helpers drive
// the web app the way a person would (labels, roles, keyboard). Waiting is
// always polling against a deadline, never a fixed sleep.

import { test } from 'node:test';
import { isDeepStrictEqual, inspect } from 'node:util';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Parleyd, REPO, rest } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, '..', 'artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery';

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Polls `fn` until it returns a truthy value; throws with the last value after `timeout`. */
export async function poll(fn, { timeout = 15000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message}; last value: ${inspect(last)}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Polls until `fn()` deep-equals `expected`. */
export async function pollEqual(fn, expected, { timeout = 15000, message = 'value' } = {}) {
  let last;
  try {
    await poll(async () => isDeepStrictEqual((last = await fn()), expected), { timeout, message });
  } catch {
    throw new Error(`timed out after ${timeout} ms waiting for ${message}\n  expected: ${inspect(expected)}\n  actual:   ${inspect(last)}`);
  }
}

export class Harness {
  constructor(name, server, browser) {
    this.name = name;
    this.server = server;
    this.browser = browser;
    this.pages = [];
    this.pageErrors = [];
    this.seq = 0;
  }

  /** A fresh browser profile (context): a new device once logged in. */
  async newPage({ storageState, viewport = { width: 1200, height: 780 }, permissions, initScript } = {}) {
    const context = await this.browser.newContext({ baseURL: this.server.url, storageState, viewport, permissions, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
    context.setDefaultTimeout(15000);
    if (initScript) await context.addInitScript(initScript);
    const page = await context.newPage();
    this.track(page);
    return page;
  }

  /** Collects a page's errors (checked at the end of the scenario) and screenshots it on failure. */
  track(page) {
    const label = `page${++this.seq}`;
    page.on('pageerror', (e) => this.pageErrors.push(`${label}: ${e.message}`));
    page.on('console', (m) => {
      // Chromium itself logs that it has no Push API in a test's (incognito) context when the app
      // tries to subscribe; the app takes the refusal quietly (js/push.js).
      if (m.type() === 'error' && !/WebSocket|Failed to load resource|ERR_CONNECTION_REFUSED|support the Push API in incognito/.test(m.text())) this.pageErrors.push(`${label} console: ${m.text()}`);
    });
    this.pages.push({ page, label });
  }

  /** Another tab of `page`'s browser profile: the same device, its own connection. */
  async newTab(page) {
    const tab = await page.context().newPage();
    this.track(tab);
    await tab.goto('/');
    await tab.getByTestId('app-view').waitFor();
    await waitLive(tab);
    return tab;
  }

  user(name) {
    const slug = name.toLowerCase().split(' ')[0];
    return { name, email: `${slug}@example.org`, password: PASSWORD }; // each scenario has its own server
  }

  async shot(page, file) {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, file) });
  }

  /** docs/screenshot.png is written when missing, or when PARLEY_UPDATE_SCREENSHOT=1. */
  async docsShot(page) {
    const target = join(REPO, 'docs', 'screenshot.png');
    let exists = true;
    try {
      await access(target);
    } catch {
      exists = false;
    }
    if (exists && process.env.PARLEY_UPDATE_SCREENSHOT !== '1') return;
    await page.screenshot({ path: target });
  }

  async captureFailure() {
    await mkdir(ARTIFACTS, { recursive: true });
    const slug = this.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    for (const { page, label } of this.pages) {
      try {
        if (!page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, `failure-${slug}-${label}.png`) });
      } catch {
        // the page may be gone
      }
    }
    await writeFile(join(ARTIFACTS, `failure-${slug}-parleyd.log`), this.server.log.join('\n'));
  }
}

/** Declares a scenario with its own parleyd and browser. */
export function scenario(name, fn, { serverArgs = [], timeout = 180000 } = {}) {
  test(name, { timeout }, async () => {
    const server = await new Parleyd({ args: serverArgs }).start();
    const browser = await launchBrowser();
    const h = new Harness(name, server, browser);
    try {
      await fn(h);
      if (h.pageErrors.length) throw new Error(`errors in the pages:\n${h.pageErrors.join('\n')}`);
    } catch (e) {
      await h.captureFailure();
      e.message += `\n--- parleyd log (tail) ---\n${server.tail(25)}`;
      throw e;
    } finally {
      await browser.close().catch(() => {});
      await server.stop();
    }
  });
}

// ---- driving the app ----

export function composer(page) {
  return page.getByRole('textbox', { name: 'Message', exact: true });
}

export async function waitLive(page, timeout = 20000) {
  await page.locator('[data-testid=connection][data-status=live]').waitFor({ state: 'attached', timeout });
}

export async function signup(page, user) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Display name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('app-view').waitFor();
  await waitLive(page);
}

export async function login(page, user) {
  await page.goto('/');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('app-view').waitFor();
  await waitLive(page);
}

export function chatItem(page, title) {
  return page.getByTestId('chat-item').filter({ has: page.getByTestId('chat-name').getByText(title, { exact: true }) });
}

export async function openChat(page, title) {
  await chatItem(page, title).click();
  await page.getByTestId('chat-title').getByText(title, { exact: true }).waitFor();
}

export async function startDirectChat(page, email, peerName) {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await page.getByTestId('chat-title').getByText(peerName, { exact: true }).waitFor();
}

/** The banner of an open chat that is a message request for `page`'s user. */
export function requestBanner(page) {
  return page.getByRole('region', { name: 'Message request' });
}

/**
 * Opens the direct chat with `peerName`, a message request for `page`'s user
 * (the peer opened it), and accepts it in its banner: from then on the peer
 * sees this user's presence, read receipts and typing.
 */
export async function acceptRequest(page, peerName) {
  await openChat(page, peerName);
  const banner = requestBanner(page);
  await banner.getByRole('button', { name: 'Accept' }).click();
  await banner.waitFor({ state: 'hidden' });
}

/**
 * Ann and Bob, signed up in two pages, with Ann's first message in their
 * direct chat open on both sides and read by Bob (who accepted Ann's request
 * first: until then she would see nothing of his reading).
 */
export async function directChatWithAMessage(h, text) {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await chatItem(b, ann.name).waitFor();
  await acceptRequest(b, ann.name);
  await send(a, text);
  await message(b, text).waitFor();
  await waitState(a, text, 'read');
  return { ann, bob, a, b };
}

export async function send(page, text) {
  const box = composer(page);
  await box.fill(text);
  await box.press('Enter');
}

/** The texts of the open chat's messages, in display order. */
export function texts(page) {
  return page.getByTestId('message-text').allTextContents();
}

export function message(page, text) {
  return page.getByTestId('message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });
}

export async function messageState(page, text) {
  return message(page, text).getAttribute('data-state', { timeout: 2000 });
}

export async function waitState(page, text, state, timeout = 15000) {
  await pollEqual(() => messageState(page, text), state, { timeout, message: `"${text}" to be ${state}` });
}

export async function currentChatId(page) {
  return page.evaluate(() => window.parley.store.openChatId);
}

/** Signs `user` up and logs in through REST (no browser): {token, user_id}. */
export async function restUser(h, user) {
  const base = h.server.url;
  await rest(base, 'POST', '/v1/signup', { body: { email: user.email, password: user.password, display_name: user.name } });
  return rest(base, 'POST', '/v1/login', { body: { email: user.email, password: user.password, device_name: 'e2e setup' } });
}

let restMessages = 0;

/** Posts `text` (and `extra`: an action's kind and target_seq) to a chat through REST, as `token`'s user: {seq, ts} once durable. */
export function restSend(h, token, chatId, text, extra = {}) {
  return rest(h.server.url, 'POST', `/v1/chats/${encodeURIComponent(chatId)}/messages`, {
    token, body: { client_msg_id: `e2e-${process.pid}-${++restMessages}`, text, ...extra },
  });
}

/**
 * An init script (newPage's initScript) standing in for the Notification API,
 * already allowed, and for the page's visibility, which headless Chromium
 * cannot change: window.__notes collects what would show,
 * window.__setHidden(bool) hides or shows the tab.
 */
export function grantedNotifications() {
  window.__notes = [];
  class FakeNotification {
    static get permission() { return 'granted'; }
    static requestPermission() { return Promise.resolve('granted'); }
    constructor(title, options) { window.__notes.push({ title, body: options?.body }); }
    close() {}
  }
  window.Notification = FakeNotification;
  let hidden = false;
  window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event('visibilitychange')); };
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
}

/** The open chat's messages and timeline lines in display order; a line reads "— Ann added Cy". */
export function conversation(page) {
  return page.getByTestId('message-list').evaluate((list) => [...list.children]
    .filter((li) => li.matches('.msg, .timeline-line'))
    .map((li) => (li.matches('.timeline-line') ? `— ${li.textContent}` : li.querySelector('[data-testid=message-text]')?.textContent)));
}
