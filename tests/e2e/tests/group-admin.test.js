// A group's timeline and its admins: "Ann added Cy", renames and roles as
// lines among the messages, live on every member's page, in order, after a
// reload and in history paged back; lines are never unread, never notified
// and have no message actions. Admins rename the group and make or dismiss
// admins; a member who is no admin sees none of it; the controls follow a
// change of role live; the server's refusal (the last admin stepping down)
// is shown in words.

import assert from 'node:assert/strict';
import {
  scenario, signup, openChat, send, message, chatItem, poll, pollEqual, waitLive, restUser, restSend,
  grantedNotifications, conversation,
} from '../lib/harness.js';
import { rest } from '../lib/server.js';

async function createGroup(page, name, emails) {
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('Group name').fill(name);
  await page.getByRole('textbox', { name: 'Members' }).fill(emails.join(', '));
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByTestId('chat-title').getByText(name, { exact: true }).waitFor();
}

/** Whether the page holds a timeline line of `type` (and `role`) in the chat named `title`, loaded or not. */
function holdsLine(page, title, type, role) {
  return page.evaluate(([t, ty, r]) => {
    const { store } = window.parley;
    const chat = [...store.chats.values()].find((s) => store.title(s) === t);
    return Boolean(chat && [...chat.messages.values()].some((m) => m.kind === 'event' && m.event?.type === ty && (!r || m.event.role === r)));
  }, [title, type, role]);
}

scenario('timeline lines and admin controls, live on every member’s page', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const cy = h.user('Cy Park');
  const a = await h.newPage();
  const b = await h.newPage();
  const c = await h.newPage({ initScript: grantedNotifications });
  await signup(a, ann);
  await signup(b, bob);
  await signup(c, cy);

  await createGroup(a, 'Trip', [bob.email]);
  await send(a, 'Hello group');
  await openChat(b, 'Trip');
  await message(b, 'Hello group').waitFor();
  // Cy's tab is in the background; notifications are allowed.
  await c.evaluate(() => window.__setHidden(true));

  // Every unread count Cy's list ever shows, to see that none flashes up when she is added.
  await c.evaluate(() => {
    window.__unreadShown = new Set();
    new MutationObserver(() => {
      for (const item of document.querySelectorAll('[data-testid=chat-item]')) window.__unreadShown.add(item.dataset.unread);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-unread'] });
  });

  // Ann adds Cy: a line on every member's page, live, after the message.
  await a.getByRole('button', { name: 'Group info' }).click();
  await a.getByLabel('Add a member by email').fill(cy.email);
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await pollEqual(() => conversation(b), ['Hello group', `— ${ann.name} added ${cy.name}`], { message: 'the line on Bob’s page' });
  await pollEqual(() => conversation(a), ['Hello group', `— You added ${cy.name}`], { message: 'the line on Ann’s page' });
  await chatItem(c, 'Trip').waitFor();
  assert.equal(await chatItem(c, 'Trip').getAttribute('data-unread'), '0', 'nothing unread for the new member');
  assert.deepEqual(await c.evaluate(() => [...window.__unreadShown]), ['0'], 'not even for a moment');

  // Ann renames the group from the dialog: the title changes on every page.
  await a.getByRole('textbox', { name: 'Group name' }).fill('Trip 2027');
  await a.getByRole('button', { name: 'Rename' }).click();
  await a.getByTestId('rename-status').getByText('Renamed.').waitFor();
  assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Rename', 'the focus stays on the button');
  await b.getByTestId('chat-title').getByText('Trip 2027', { exact: true }).waitFor();
  await chatItem(c, 'Trip 2027').waitFor();
  await pollEqual(async () => (await conversation(b)).at(-1), `— ${ann.name} renamed the group to “Trip 2027”`, { message: 'the rename line' });
  // Nothing said before Cy joined shows on her page, not even as the preview.
  assert.equal(await chatItem(c, 'Trip 2027').getByTestId('chat-preview').textContent(), 'Group created');

  // Bob is no admin: his dialog shows the name and members, no controls.
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByTestId('group-name').getByText('Trip 2027', { exact: true }).waitFor();
  assert.equal(await b.getByRole('textbox', { name: 'Group name' }).count(), 0);
  assert.equal(await b.getByRole('button', { name: /an admin$|as admin$|^Remove / }).count(), 0);
  assert.equal(await b.getByRole('textbox', { name: 'Add a member by email' }).count(), 0);

  // Ann makes Bob an admin: Bob's open dialog gains the controls, live.
  await a.getByRole('button', { name: `Make ${bob.name} an admin` }).click();
  await b.getByRole('textbox', { name: 'Group name' }).waitFor();
  await b.getByRole('button', { name: `Make ${cy.name} an admin` }).waitFor();
  await pollEqual(() => b.getByTestId('member-list').getByTestId('role').count(), 2, { message: 'two admins in Bob’s list' });
  // The focus stays in Bob's row, on the button that took the pressed one's place.
  await pollEqual(() => a.evaluate(() => document.activeElement?.getAttribute('aria-label')), `Dismiss ${bob.name} as admin`, { message: 'the focus kept' });
  await h.shot(a, 'group-info.png');

  // Bob dismisses Ann: her controls go, live.
  await b.getByRole('button', { name: `Dismiss ${ann.name} as admin` }).click();
  await pollEqual(() => a.getByRole('textbox', { name: 'Group name' }).count(), 0, { message: 'Ann’s rename form gone' });
  await pollEqual(() => a.getByRole('button', { name: /an admin$|as admin$|^Remove / }).count(), 0, { message: 'Ann’s role buttons gone' });

  // Bob is the last admin: stepping down is refused, and the dialog says why.
  await b.getByRole('button', { name: 'Step down as admin' }).click();
  await pollEqual(() => b.getByTestId('group-error').textContent(), 'A group needs at least one admin: make someone else an admin first.', { message: 'the refusal' });
  assert.equal(await b.getByRole('textbox', { name: 'Group name' }).count(), 1, 'Bob is still an admin');
  await b.keyboard.press('Escape');
  await a.keyboard.press('Escape');

  const lines = [
    `— ${ann.name} added ${cy.name}`,
    `— ${ann.name} renamed the group to “Trip 2027”`,
    `— ${ann.name} made ${bob.name} an admin`,
    `— ${ann.name} is no longer an admin`,
  ];
  await pollEqual(() => conversation(b), ['Hello group', ...lines.slice(0, 2), `— ${ann.name} made you an admin`, lines[3]], { message: 'Bob’s lines' });
  await pollEqual(() => conversation(a), ['Hello group', `— You added ${cy.name}`, '— You renamed the group to “Trip 2027”',
    `— You made ${bob.name} an admin`, '— You are no longer an admin'], { message: 'Ann’s lines' });

  // Cy's background tab holds every line, and none of them is unread or notified.
  await poll(() => holdsLine(c, 'Trip 2027', 'role_changed', 'member'), { message: 'the last line reached Cy' });
  assert.equal(await chatItem(c, 'Trip 2027').getAttribute('data-unread'), '0');
  assert.deepEqual(await c.evaluate(() => window.__notes), []);
  assert.equal(await c.title(), 'Parley');
  // A message is both.
  await send(a, 'Welcome, Cy');
  await pollEqual(() => chatItem(c, 'Trip 2027').getAttribute('data-unread'), '1', { message: 'one unread message' });
  await pollEqual(() => c.evaluate(() => window.__notes.map((n) => n.body)), ['Welcome, Cy'], { message: 'one notification' });

  // Cy sees what happened since she joined, in order; lines have no actions.
  await c.evaluate(() => window.__setHidden(false));
  await openChat(c, 'Trip 2027');
  await pollEqual(() => conversation(c), [`— ${ann.name} added you`, ...lines.slice(1), 'Welcome, Cy'], { message: 'Cy’s conversation' });
  assert.equal(await c.getByTestId('timeline-line').getByRole('button').count(), 0);
  await pollEqual(() => chatItem(c, 'Trip 2027').getAttribute('data-unread'), '0', { message: 'read' });
  assert.equal(await chatItem(c, 'Trip 2027').getByTestId('chat-preview').textContent(), `${ann.name}: Welcome, Cy`, 'the preview is the message, not a line');

  // Bob removes Cy; after a reload Ann's page shows the same lines from
  // history. Cy shares no chat with Ann any more: her name is not known.
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByRole('button', { name: `Remove ${cy.name}` }).click();
  await c.getByText('You are no longer a member of this group.').waitFor();
  await b.keyboard.press('Escape');
  await pollEqual(async () => (await conversation(a)).at(-1), `— ${bob.name} removed ${cy.name}`, { message: 'the removal, live' });
  await a.reload();
  await waitLive(a);
  await a.getByTestId('chat-title').getByText('Trip 2027', { exact: true }).waitFor();
  await pollEqual(() => conversation(a), ['Hello group', '— You added a former member', '— You renamed the group to “Trip 2027”',
    `— You made ${bob.name} an admin`, '— You are no longer an admin', 'Welcome, Cy', `— ${bob.name} removed a former member`], { message: 'Ann’s conversation after a reload' });

  // Bob, the last admin, leaves: the group is never without one, Ann takes
  // over, and her Group info has its controls again.
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByRole('button', { name: 'Leave group' }).click();
  await pollEqual(async () => (await conversation(a)).slice(-2), [`— ${bob.name} left`, '— You are now an admin'], { message: 'the leaving and the handover' });
  await a.getByRole('button', { name: 'Group info' }).click();
  await a.getByRole('textbox', { name: 'Group name' }).waitFor();
  await a.getByRole('button', { name: 'Step down as admin' }).waitFor();
});

scenario('timeline lines in history paged back, and on a phone', async (h) => {
  const ann = h.user('Ann Lee');
  const bob = h.user('Bob Stone');
  const cy = h.user('Cy Park');
  const b = await h.newPage({ viewport: { width: 375, height: 740 } });
  await signup(b, bob);
  const { token } = await restUser(h, ann);
  const { user_id: cyId } = await restUser(h, cy);
  const { user_id: bobId } = await rest(h.server.url, 'GET', `/v1/users?email=${encodeURIComponent(bob.email)}`, { token });
  const group = await rest(h.server.url, 'POST', '/v1/chats', { token, body: { kind: 'group', name: 'Book club', member_ids: [bobId] } });
  const id = encodeURIComponent(group.chat_id);
  const expected = [];
  const messages = async (from, to) => {
    for (let i = from; i <= to; i++) {
      await restSend(h, token, group.chat_id, `Chapter ${i}`);
      expected.push(`Chapter ${i}`);
    }
  };
  // The server writes a line just after the change: wait for it, so that
  // the next message comes after it.
  const change = async (method, path, body, line) => {
    await rest(h.server.url, method, path, { token, body });
    await poll(async () => (await rest(h.server.url, 'GET', `/v1/chats/${id}/messages?limit=1`, { token })).messages[0]?.kind === 'event', { message: 'the line stored' });
    expected.push(`— ${line}`);
  };
  await messages(1, 40);
  await change('POST', `/v1/chats/${id}/members`, { user_id: cyId }, `${ann.name} added ${cy.name}`);
  await messages(41, 80);
  await change('PATCH', `/v1/chats/${id}`, { name: 'Book club 2027' }, `${ann.name} renamed the group to “Book club 2027”`);
  await messages(81, 120);
  await change('PATCH', `/v1/chats/${id}/members/${encodeURIComponent(bobId)}`, { role: 'admin' }, `${ann.name} made you an admin`);
  await messages(121, 125);

  // After a reload the chat opens with its newest page; scrolling up brings
  // every older page, lines among the messages where they were.
  await b.reload();
  await waitLive(b);
  await openChat(b, 'Book club 2027');
  await message(b, 'Chapter 125').waitFor();
  const history = b.getByRole('region', { name: 'Conversation history' });
  await poll(async () => {
    await history.evaluate((el) => { el.scrollTop = 0; });
    return (await conversation(b))[0] === 'Chapter 1';
  }, { timeout: 30000, message: 'history paged back to the first message' });
  assert.deepEqual(await conversation(b), expected);
  await b.getByTestId('timeline-line').filter({ hasText: 'renamed the group' }).scrollIntoViewIfNeeded();
  await h.shot(b, 'phone-timeline.png');
  // On a phone the header's controls fit: the mute and group buttons are in view.
  for (const name of ['Mute notifications', 'Group info']) {
    const box = await b.getByRole('button', { name }).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `${name} is on screen`);
  }
  await b.getByRole('button', { name: 'Group info' }).click();
  await b.getByRole('button', { name: `Make ${cy.name} an admin` }).waitFor();
  const dialog = await b.locator('dialog').boundingBox();
  assert.ok(dialog.x >= 0 && dialog.x + dialog.width <= 375, 'the dialog fits the phone');
  for (const name of ['Rename', `Make ${cy.name} an admin`, 'Step down as admin', 'Add']) {
    // Polled: a presence change may rebuild the list between finding a button and measuring it.
    await poll(async () => {
      const box = await b.locator('dialog').getByRole('button', { name, exact: true }).boundingBox();
      return box && box.x >= dialog.x && box.x + box.width <= dialog.x + dialog.width;
    }, { timeout: 5000, message: `${name} inside the dialog` });
  }
  await h.shot(b, 'phone-group-info.png');
});
