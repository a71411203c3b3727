// Message text as the browser shows it: http(s) links are clickable and open
// without access to the app (noopener, noreferrer); hostile spellings of other
// schemes and HTML-looking text stay inert text; right-to-left text (Arabic,
// Hebrew) is laid out right to left in messages, names, previews and the
// composer, and English left to right.

import assert from 'node:assert/strict';
import {
  scenario, signup, startDirectChat, openChat, send, texts, message, composer, chatItem, pollEqual, PASSWORD,
} from '../lib/harness.js';

const direction = (locator) => locator.evaluate((el) => getComputedStyle(el).direction);

scenario('links are clickable only for http(s), and hostile text stays text', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const a = await h.newPage();
  const b = await h.newPage();
  // Nothing in a message may ever run script or open a dialog.
  for (const page of [a, b]) page.on('dialog', (d) => { h.pageErrors.push(`a dialog opened: ${d.message()}`); d.dismiss(); });
  await signup(a, ann);
  await signup(b, bob);
  await startDirectChat(a, bob.email, bob.name);
  await openChat(b, ann.name);

  const target = `${h.server.url}/healthz`;
  const good = `Status page: ${target}. And HTTPS://EXAMPLE.INVALID/Path?q=1 too`;
  const hostile = [
    'javascript:window.__xss=1',
    'JaVaScRiPt:window.__xss=1',
    'jav&#x09;ascript:window.__xss=1',
    'jav\tascript:window.__xss=1',
    '&#106;avascript&#58;window.__xss=1',
    'data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    '<img src=x onerror="window.__xss=1">',
    '<a href="javascript:window.__xss=1">https://example.org</a>',
    '<a href="https://evil.example/">click me</a>',
    '<script>window.__xss=1</script>',
  ];
  for (const text of [good, ...hostile]) await send(a, text);
  await pollEqual(() => texts(b), [good, ...hostile], { message: 'every message, as typed' });

  for (const page of [a, b]) {
    // Exactly the two http(s) URLs are links, with the attributes that keep this page safe.
    const links = page.getByTestId('message-link');
    await pollEqual(() => links.count(), 2, { message: 'two links' });
    assert.deepEqual(await links.evaluateAll((els) => els.map((el) => ({
      href: el.getAttribute('href'), text: el.textContent, rel: el.rel, target: el.target,
    }))), [
      { href: target, text: target, rel: 'noopener noreferrer', target: '_blank' },
      { href: 'https://example.invalid/Path?q=1', text: 'HTTPS://EXAMPLE.INVALID/Path?q=1', rel: 'noopener noreferrer', target: '_blank' },
    ]);
    // Hostile messages: text only, no element of any kind inside.
    for (const text of hostile) {
      const body = message(page, text).getByTestId('message-text');
      assert.equal(await body.evaluate((el) => el.children.length), 0, `no elements in ${JSON.stringify(text)}`);
      assert.equal(await body.textContent(), text);
    }
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
    assert.equal(await page.locator('[data-testid=message-list] img, [data-testid=message-list] script').count(), 0);
  }

  // The link opens in a new tab that cannot reach the app's window and is not told where it came from.
  const [popup] = await Promise.all([
    b.context().waitForEvent('page'),
    message(b, good).getByRole('link', { name: target }).click(),
  ]);
  await popup.waitForLoadState();
  assert.equal(popup.url(), target);
  assert.equal(await popup.evaluate(() => window.opener), null, 'no window.opener');
  assert.equal(await popup.evaluate(() => document.referrer), '', 'no referrer');
  await popup.close();
});

scenario('right-to-left text is laid out right to left; English left to right', async (h) => {
  const ann = h.user('Ann Lee');
  // A Hebrew display name ("Dana Cohen").
  const dana = { name: 'דנה כהן', email: 'dana@example.org', password: PASSWORD };
  const a = await h.newPage();
  const d = await h.newPage();
  await signup(a, ann);
  await signup(d, dana);
  await startDirectChat(d, ann.email, ann.name);

  const arabic = 'مرحبا، كيف حالك؟';
  const hebrew = 'שלום, מה שלומך?';
  const english = 'Hello, how are you?';
  await send(d, arabic);
  await send(d, hebrew);
  await send(d, english);

  // The list: the Hebrew name is right to left, the English preview left to right.
  await pollEqual(() => chatItem(a, dana.name).getByTestId('chat-preview').textContent(), english, { message: 'the newest preview' });
  assert.equal(await direction(chatItem(a, dana.name).getByTestId('chat-name')), 'rtl');
  // …and still starts next to the avatar, as every name in the list does.
  const startsLeft = (locator) => locator.evaluate((el) => {
    const text = document.createRange();
    text.selectNodeContents(el);
    return Math.abs(text.getBoundingClientRect().left - el.getBoundingClientRect().left) < 2;
  });
  assert.equal(await startsLeft(chatItem(a, dana.name).getByTestId('chat-name')), true);
  assert.equal(await direction(chatItem(a, dana.name).getByTestId('chat-preview')), 'ltr');

  await openChat(a, dana.name);
  await pollEqual(() => texts(a), [arabic, hebrew, english], { message: 'three messages' });
  assert.equal(await direction(message(a, arabic).getByTestId('message-text')), 'rtl');
  assert.equal(await direction(message(a, hebrew).getByTestId('message-text')), 'rtl');
  assert.equal(await direction(message(a, english).getByTestId('message-text')), 'ltr');
  assert.equal(await direction(a.getByTestId('chat-title')), 'rtl');
  assert.equal(await startsLeft(a.getByTestId('chat-title')), true);

  // The composer follows what is typed.
  await composer(a).fill(english);
  assert.equal(await direction(composer(a)), 'ltr');
  const thanks = 'شكرا جزيلا';
  await composer(a).fill(thanks);
  assert.equal(await direction(composer(a)), 'rtl');
  await composer(a).press('Enter');
  await message(d, thanks).waitFor();
  assert.equal(await direction(message(d, thanks).getByTestId('message-text')), 'rtl');
  // An own preview "You: …" is an English sentence: left to right, the Arabic inside it isolated.
  await pollEqual(() => chatItem(a, dana.name).getByTestId('chat-preview').textContent(), `You: ${thanks}`, { message: 'own preview' });
  assert.equal(await direction(chatItem(a, dana.name).getByTestId('chat-preview')), 'ltr');
  await pollEqual(() => chatItem(d, ann.name).getByTestId('chat-preview').textContent(), thanks, { message: 'Dana’s preview' });
  assert.equal(await direction(chatItem(d, ann.name).getByTestId('chat-preview')), 'rtl');
  await send(d, hebrew + '!');
  await pollEqual(() => chatItem(a, dana.name).getByTestId('chat-preview').textContent(), `${hebrew}!`, { message: 'Hebrew preview' });
  assert.equal(await direction(chatItem(a, dana.name).getByTestId('chat-preview')), 'rtl');
  await h.shot(a, 'rtl.png');
});
