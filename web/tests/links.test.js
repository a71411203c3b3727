// Unit tests of js/ui/links.js under Node's own runner (ctest web_unit_tests):
// only http(s) URLs become links, whatever hostile spelling the rest uses,
// and the text is always kept exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { linkSegments, safeHref } from '../js/ui/links.js';

const links = (text) => linkSegments(text).filter((s) => s.href).map((s) => s.href);

test('http and https URLs become links; the text around them stays, exactly', () => {
  const text = 'see https://example.org/a?b=1#c and http://example.com, thanks';
  const segments = linkSegments(text);
  assert.deepEqual(segments, [
    { text: 'see ' },
    { text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
    { text: ' and ' },
    { text: 'http://example.com', href: 'http://example.com/' },
    { text: ', thanks' },
  ]);
  assert.equal(segments.map((s) => s.text).join(''), text);
});

test('trailing punctuation and unopened brackets are not part of the URL', () => {
  assert.deepEqual(links('(https://example.org/x).'), ['https://example.org/x']);
  assert.deepEqual(links('https://en.wikipedia.org/wiki/Foo_(bar)!'), ['https://en.wikipedia.org/wiki/Foo_(bar)']);
  assert.deepEqual(links('Look: https://example.org/…'), ['https://example.org/']);
  assert.deepEqual(links('HTTPS://EXAMPLE.ORG'), ['https://example.org/']);
});

test('other schemes stay text, however they are spelled', () => {
  const hostile = [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(document.cookie)',
    ' javascript:alert(1)',
    'jav&#x09;ascript:alert(1)',
    'jav&#9;ascript:alert(1)',
    'jav\tascript:alert(1)',
    'java\u0000script:alert(1)',
    '&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)',
    'javascript%3Aalert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'DATA:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.org/x',
    '//example.org/protocol-relative',
    'www.example.org',
    'http:/example.org',
    'http:example.org',
    'http://',
    'https:// example.org',
    'httpx://example.org',
    'xhttp://example.org',
    'javascript:http://example.org',
    'javascript://example.org/%0Aalert(1)',
  ];
  for (const text of hostile) {
    assert.deepEqual(linkSegments(text), [{ text }], JSON.stringify(text));
  }
});

test('URLs inside HTML-looking text stay text, and the markup is never interpreted', () => {
  for (const text of [
    '<a href="https://evil.example/">click</a>',
    "<a href='http://evil.example/'>click</a>",
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">https</a>',
    '<https://example.org>',
    'x="https://example.org"',
  ]) {
    assert.deepEqual(linkSegments(text), [{ text }], text);
  }
  // A URL ends where markup starts: nothing after the quote or bracket is part of the link.
  assert.deepEqual(linkSegments('https://example.org/"><script>'), [
    { text: 'https://example.org/', href: 'https://example.org/' },
    { text: '"><script>' },
  ]);
});

test('a URL ends at invisible or direction-changing characters', () => {
  // U+202E (right-to-left override) could make a link look as if it led elsewhere.
  assert.deepEqual(links('https://example.org/\u202egpj.exe'), ['https://example.org/']);
  assert.deepEqual(links('https://example.org\u200b.evil.example'), ['https://example.org/']);
  assert.deepEqual(links('https://exa\u00a0mple.org'), ['https://exa/']);
});

test('the href is the parser’s normalised URL, so it cannot smuggle characters', () => {
  assert.equal(safeHref('https://example.org/a b'), 'https://example.org/a%20b');
  assert.equal(safeHref('https://example.org/%0Ajavascript:alert(1)'), 'https://example.org/%0Ajavascript:alert(1)');
  assert.equal(safeHref('https://EXAMPLE.org:443/'), 'https://example.org/');
  assert.equal(safeHref('http://[::1]:8080/x'), 'http://[::1]:8080/x');
  assert.equal(safeHref('https://exa mple.org'), null);
  assert.equal(safeHref(`https://example.org/${'a'.repeat(3000)}`), null);
  assert.equal(safeHref('javascript:alert(1)'), null);
});

test('empty and odd input', () => {
  assert.deepEqual(linkSegments(''), [{ text: '' }]);
  assert.deepEqual(linkSegments(undefined), [{ text: '' }]);
  assert.deepEqual(links('a https://a.example b https://b.example'), ['https://a.example/', 'https://b.example/']);
});
