// REST client for parleyd's /v1 API (docs/protocol.md). Every failure becomes an
// ApiError carrying the server's error `code` and human `message`.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // 0 when the server could not be reached
    this.code = code;
  }
}

// Chats per page of GET /v1/chats (the server's maximum is 1000).
const CHAT_PAGE = 500;

export class Api {
  /**
   * @param {object} options
   * @param {() => string|null} options.getToken  the bearer token, if logged in
   * @param {(err: ApiError) => void} [options.onUnauthorized]  a request with a token got 401
   */
  constructor({ base = '', getToken, onUnauthorized } = {}) {
    this.base = base;
    this.getToken = getToken ?? (() => null);
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, body, { timeoutMs = 15000 } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = this.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let res;
    let text;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        signal: abort.signal,
      });
      text = await res.text();
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const err = data?.error ?? {};
      const e = new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? `Request failed (HTTP ${res.status})`);
      // bad_credentials (a wrong current password) leaves the token valid.
      if (res.status === 401 && token && e.code !== 'bad_credentials') this.onUnauthorized?.(e);
      throw e;
    }
    return data;
  }

  // ---- accounts ----
  signup(email, password, displayName) {
    return this.request('POST', '/v1/signup', { email, password, display_name: displayName });
  }
  login(email, password, deviceName) {
    return this.request('POST', '/v1/login', { email, password, device_name: deviceName });
  }
  logout() {
    return this.request('POST', '/v1/logout');
  }
  me() {
    return this.request('GET', '/v1/me');
  }
  rename(displayName) {
    return this.request('PATCH', '/v1/me', { display_name: displayName });
  }
  /** Who sees our presence: 'everyone', 'contacts' or 'nobody'. */
  setPresenceVisibility(visibility) {
    return this.request('PATCH', '/v1/me', { presence_visibility: visibility });
  }
  /** The users we block: [{user_id, display_name}]. */
  async blocks() {
    return (await this.request('GET', '/v1/blocks')).users ?? [];
  }
  async block(userId) {
    return (await this.request('PUT', `/v1/blocks/${encodeURIComponent(userId)}`)).users ?? [];
  }
  async unblock(userId) {
    return (await this.request('DELETE', `/v1/blocks/${encodeURIComponent(userId)}`)).users ?? [];
  }
  changePassword(current, replacement, logoutOthers) {
    return this.request('POST', '/v1/me/password', { current_password: current, new_password: replacement, logout_other_devices: logoutOthers });
  }
  devices() {
    return this.request('GET', '/v1/devices');
  }
  logoutDevice(deviceId) {
    return this.request('DELETE', `/v1/devices/${encodeURIComponent(deviceId)}`);
  }
  findUserByEmail(email) {
    return this.request('GET', `/v1/users?email=${encodeURIComponent(email)}`);
  }

  // ---- chats ----
  /** Every chat, page by page: one big account must not mean one huge answer. */
  async listChats() {
    const chats = [];
    let after = null;
    for (;;) {
      const query = `limit=${CHAT_PAGE}` + (after ? `&after=${encodeURIComponent(after)}` : '');
      const page = await this.request('GET', `/v1/chats?${query}`);
      chats.push(...(page.chats ?? []));
      if (typeof page.next !== 'string') return chats;
      after = page.next;
    }
  }
  getChat(chatId) {
    return this.request('GET', `/v1/chats/${encodeURIComponent(chatId)}`);
  }
  createDirectChat(peerId) {
    return this.request('POST', '/v1/chats', { kind: 'direct', peer_id: peerId });
  }
  createGroup(name, memberIds) {
    return this.request('POST', '/v1/chats', { kind: 'group', name, member_ids: memberIds });
  }
  addMember(chatId, userId) {
    return this.request('POST', `/v1/chats/${encodeURIComponent(chatId)}/members`, { user_id: userId });
  }
  removeMember(chatId, userId) {
    return this.request('DELETE', `/v1/chats/${encodeURIComponent(chatId)}/members/${encodeURIComponent(userId)}`);
  }

  /** Removes a chat that ended for us from our list, for good (refused while we are a member). */
  forgetChat(chatId) {
    return this.request('DELETE', `/v1/chats/${encodeURIComponent(chatId)}`);
  }

  renameGroup(chatId, name) {
    return this.request('PATCH', `/v1/chats/${encodeURIComponent(chatId)}`, { name });
  }
  setRole(chatId, userId, role) {
    return this.request('PATCH', `/v1/chats/${encodeURIComponent(chatId)}/members/${encodeURIComponent(userId)}`, { role });
  }
  /** Mutes a chat for us until `until` (ms), or until unmuted when it is null. */
  mute(chatId, until) {
    return this.request('PUT', `/v1/chats/${encodeURIComponent(chatId)}/mute`, until === null ? {} : { until });
  }
  unmute(chatId) {
    return this.request('DELETE', `/v1/chats/${encodeURIComponent(chatId)}/mute`);
  }
  /** Accepts a message request: the chat as shown to us, without `request`. */
  acceptChat(chatId) {
    return this.request('POST', `/v1/chats/${encodeURIComponent(chatId)}/accept`);
  }

  /** The other members' read and delivery positions we may see: {receipts: [{user_id, read_seq, delivered_seq, joined_seq}]}. */
  receipts(chatId) {
    return this.request('GET', `/v1/chats/${encodeURIComponent(chatId)}/receipts`);
  }

  /** Messages of a chat: `{before}` or nothing gives newest first, `{after}` oldest first. */
  async history(chatId, { before, after, limit = 50 } = {}) {
    const params = new URLSearchParams({ limit: String(limit) });
    if (before !== undefined) params.set('before', String(before));
    if (after !== undefined) params.set('after', String(after));
    const data = await this.request('GET', `/v1/chats/${encodeURIComponent(chatId)}/messages?${params}`);
    return data.messages ?? [];
  }

  /** One page of message search: `{results, next}`, newest first; `before` is a previous page's `next`. */
  async search(q, { chatId, before, limit = 20 } = {}) {
    const params = new URLSearchParams({ q, limit: String(limit) });
    if (chatId) params.set('chat_id', chatId);
    if (before) params.set('before', before);
    const data = await this.request('GET', `/v1/search?${params}`);
    return { results: data.results ?? [], next: data.next ?? null };
  }

  // ---- presence ----
  async presence(userIds) {
    if (userIds.length === 0) return [];
    const data = await this.request('GET', `/v1/presence?user_ids=${userIds.map(encodeURIComponent).join(',')}`);
    return data.presence ?? [];
  }

  async healthy() {
    try {
      await this.request('GET', '/healthz', undefined, { timeoutMs: 4000 });
      return true;
    } catch {
      return false;
    }
  }
}

/** A short, human name for this browser, shown as the device name. */
export function describeDevice() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chromium' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'web';
  return `${browser} on ${os}`;
}
