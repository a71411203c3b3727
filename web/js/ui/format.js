// Formatting of times, names and sizes for display.

const encoder = new TextEncoder();

/** Length of `text` in UTF-8 bytes: the unit of the server's --max-text-bytes. */
export function utf8Length(text) {
  return encoder.encode(text).length;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
const shortDateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

export function startOfDay(ts) {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function formatTime(ts) {
  return timeFmt.format(ts);
}

export function formatFull(ts) {
  return fullFmt.format(ts);
}

/** "Today", "Yesterday", "Monday 3 March" or "3 March 2024": for date separators. */
export function formatDay(ts, now = Date.now()) {
  const day = startOfDay(ts);
  const today = startOfDay(now);
  if (day === today) return 'Today';
  if (day === startOfDay(today - 12 * 3600 * 1000)) return 'Yesterday';
  if (new Date(ts).getFullYear() === new Date(now).getFullYear()) return dayFmt.format(ts);
  return dayYearFmt.format(ts);
}

/** Compact time for the chat list: "14:03", "Yesterday", "3 Mar". */
export function formatListTime(ts, now = Date.now()) {
  if (!ts) return '';
  const day = startOfDay(ts);
  const today = startOfDay(now);
  if (day === today) return formatTime(ts);
  if (day === startOfDay(today - 12 * 3600 * 1000)) return 'Yesterday';
  return shortDateFmt.format(ts);
}

/** The connection's state for the user: '' when connected (or stopped), else "Connecting…" and the like. */
export function connectionText({ status, retryAt }, now = Date.now()) {
  if (status === 'live' || status === 'stopped') return '';
  if (status === 'syncing') return 'Catching up…';
  if (status === 'waiting') {
    const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
    return seconds > 0 ? `Offline · retrying in ${seconds} s` : 'Offline · retrying…';
  }
  return 'Connecting…';
}

/** "online", "last seen just now", "last seen 5 min ago", "last seen yesterday at 14:03". */
export function formatPresence(presence, now = Date.now()) {
  if (!presence) return '';
  if (presence.status === 'online') return 'online';
  const at = presence.last_active_at;
  if (!at) return 'offline';
  const ago = Math.max(0, now - at);
  if (ago < 60_000) return 'last seen just now';
  if (ago < 3_600_000) return `last seen ${Math.floor(ago / 60_000)} min ago`;
  const day = startOfDay(at);
  const today = startOfDay(now);
  if (day === today) return `last seen today at ${formatTime(at)}`;
  if (day === startOfDay(today - 12 * 3600 * 1000)) return `last seen yesterday at ${formatTime(at)}`;
  return `last seen ${shortDateFmt.format(at)}`;
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

/** A stable hue per id, so that a person's avatar keeps its colour everywhere. */
export function hueOf(id) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 360;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

// The end of a mute "until unmuted" (the server's largest time: 9999-12-31).
export const MUTED_FOREVER = 253402300799999;

/** When a mute ends: "until 14:03", "until Monday 3 March, 14:03", or "until you unmute". */
export function mutedUntilText(until, now = Date.now()) {
  if (until >= MUTED_FOREVER) return 'until you unmute';
  if (startOfDay(until) === startOfDay(now)) return `until ${formatTime(until)}`;
  return `until ${formatDay(until, now)}, ${formatTime(until)}`;
}
