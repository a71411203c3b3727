// A big account: more chats than one page of GET /v1/chats. The app follows
// `next` until the last page and lists every chat.

import { scenario, login, chatItem, pollEqual } from '../lib/harness.js';
import { rest } from '../lib/server.js';

scenario('chat list: every page of an account with more chats than a page', async (h) => {
  const ann = h.user('Ann Lee');
  const base = h.server.url;
  await rest(base, 'POST', '/v1/signup', { body: { email: ann.email, password: ann.password, display_name: ann.name } });
  const { token } = await rest(base, 'POST', '/v1/login', {
    body: { email: ann.email, password: ann.password, device_name: 'setup' },
  });
  const count = 520; // the app asks for 500 a page
  for (let i = 0; i < count; i++) {
    const name = `Group ${String(i).padStart(3, '0')}`;
    await rest(base, 'POST', '/v1/chats', { token, body: { kind: 'group', name, member_ids: [] } });
  }

  const page = await h.newPage();
  await login(page, ann);
  await pollEqual(() => page.getByTestId('chat-item').count(), count, { timeout: 30000, message: 'chats listed' });
  await chatItem(page, 'Group 000').waitFor();
  await chatItem(page, `Group ${count - 1}`).waitFor();
});
