// Clickable links in message text. Only http:// and https:// URLs become
// links; every other scheme (javascript:, data:, vbscript:, however spelled)
// stays text, because a link is only ever made from a literal "http://" or
// "https://" that the URL parser confirms. Message text is never parsed as
// HTML: `linkSegments` is pure (node --test, web/tests/links.test.js) and
// `linkify` builds text nodes and <a> elements from its segments.

import { h } from './dom.js';

// A candidate starts at the beginning, after white space or after an opening
// bracket, so a URL inside markup (href="http://…", <a>http://…) stays text.
// It ends at white space, quotes, angle brackets, and invisible or
// direction-changing characters that could disguise where it leads.
const CANDIDATE = /(^|[\s([{])(https?:\/\/[^\s<>"'`\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+)/giu;
const TRAILING = /[.,;:!?…]+$/u;
const MAX_URL_CHARS = 2048;

/**
 * Splits `text` into segments: {text} for plain text and {text, href} for a
 * link, `href` being the URL as the parser normalised it. The segments'
 * texts joined give back `text` exactly.
 */
export function linkSegments(text) {
  const out = [];
  let plainFrom = 0;
  const source = String(text ?? '');
  for (const match of source.matchAll(CANDIDATE)) {
    const start = match.index + match[1].length;
    const url = trimUrl(match[2]);
    const href = safeHref(url);
    if (!href) continue;
    if (start > plainFrom) out.push({ text: source.slice(plainFrom, start) });
    out.push({ text: url, href });
    plainFrom = start + url.length;
  }
  if (plainFrom < source.length || out.length === 0) out.push({ text: source.slice(plainFrom) });
  return out;
}

/** Drops sentence punctuation and closing brackets that the URL does not open. */
function trimUrl(url) {
  let u = url.replace(TRAILING, '');
  for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']]) {
    while (u.endsWith(close) && count(u, close) > count(u, open)) u = u.slice(0, -1).replace(TRAILING, '');
  }
  return u;
}

function count(s, ch) {
  return s.split(ch).length - 1;
}

/** The normalised URL if it is an http(s) URL with a host, else null. */
export function safeHref(candidate) {
  if (candidate.length > MAX_URL_CHARS || !/^https?:\/\/[^/?#]/i.test(candidate)) return null;
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return null;
  return url.href;
}

/** Text nodes and <a> elements for `text`: links open in a new tab, without access to this page. */
export function linkify(text) {
  return linkSegments(text).map((s) =>
    s.href
      ? h('a', { href: s.href, target: '_blank', rel: 'noopener noreferrer', class: 'msg-link', 'data-testid': 'message-link' }, s.text)
      : document.createTextNode(s.text));
}
