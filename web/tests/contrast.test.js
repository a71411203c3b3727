// Colour contrast of text in css/app.css, light and dark themes (WCAG 2.x,
// at least 4.5:1 for text of any size). The theme colours are read from the
// stylesheet itself; the table below says which text colour is drawn on
// which background (with the opacities the stylesheet applies), and a last
// test checks that every colour app.css uses for text is in the table, so a
// new one cannot escape the check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const CSS = readFileSync(new URL('../css/app.css', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
const MIN = 4.5;

// ---- the stylesheet's custom properties, per theme ----

function declarations(block) {
  const vars = {};
  for (const [, name, value] of block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) vars[name] = value.trim();
  return vars;
}

function themes() {
  const light = declarations(/:root\s*\{([^}]*)\}/.exec(CSS)[1]);
  const dark = /@media\s*\(prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{([^}]*)\}/.exec(CSS);
  assert.ok(dark, 'a dark theme in app.css');
  return { light, dark: { ...light, ...declarations(dark[1]) } };
}

// ---- colours ----

/** Parses #rgb, #rrggbb, rgb(r g b / a), hsl(h s% l%) into {r, g, b, a} (0–255, alpha 0–1). */
function parseColour(text) {
  const s = text.trim().toLowerCase();
  let m;
  if ((m = /^#([0-9a-f]{3})$/.exec(s))) return { r: parseInt(m[1][0].repeat(2), 16), g: parseInt(m[1][1].repeat(2), 16), b: parseInt(m[1][2].repeat(2), 16), a: 1 };
  if ((m = /^#([0-9a-f]{6})$/.exec(s))) return { r: parseInt(m[1].slice(0, 2), 16), g: parseInt(m[1].slice(2, 4), 16), b: parseInt(m[1].slice(4), 16), a: 1 };
  if ((m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[/,]\s*([\d.]+)\s*)?\)$/.exec(s))) {
    return { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] };
  }
  if ((m = /^hsla?\(\s*([\d.]+)[\s,]+([\d.]+)%[\s,]+([\d.]+)%\s*(?:[/,]\s*([\d.]+)\s*)?\)$/.exec(s))) {
    const h = +m[1] / 360;
    const sat = +m[2] / 100;
    const l = +m[3] / 100;
    const q = l < 0.5 ? l * (1 + sat) : l + sat - l * sat;
    const p = 2 * l - q;
    const channel = (t) => {
      t = (t + 1) % 1;
      if (t < 1 / 6) return p + (q - p) * 6 * t;
      if (t < 1 / 2) return q;
      if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
      return p;
    };
    return { r: channel(h + 1 / 3) * 255, g: channel(h) * 255, b: channel(h - 1 / 3) * 255, a: m[4] === undefined ? 1 : +m[4] };
  }
  throw new Error(`not a colour: ${text}`);
}

/** Every colour an expression can be: var() resolved, each stop of a gradient. */
function colours(expr, vars, hue) {
  let s = expr.replaceAll('var(--hue)', String(hue ?? 0));
  for (let i = 0; i < 10 && s.includes('var('); i++) {
    s = s.replace(/var\((--[\w-]+)\)/g, (_, name) => {
      assert.ok(name in vars, `${name} is defined`);
      return vars[name];
    });
  }
  const gradient = /^linear-gradient\((.*)\)$/.exec(s.trim());
  if (gradient) {
    const stops = gradient[1].match(/#[0-9a-f]{3,6}\b|(?:rgb|hsl)a?\([^)]*\)/gi);
    return stops.map(parseColour);
  }
  return [parseColour(s)];
}

/** `top` drawn over the opaque `bottom`. */
function over(top, bottom) {
  const mix = (x, y) => x * top.a + y * (1 - top.a);
  return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a: 1 };
}

function luminance({ r, g, b }) {
  const lin = (c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// ---- where text is drawn ----
// fg: the text colour; bg: the backgrounds under it, innermost first (each
// drawn over the next; the last must be opaque); textOpacity: the opacity of
// the element holding the text (not its background). `dark` overrides fields
// in the dark theme; `hues` checks every hue a person's colour can have.
// Not checked, as WCAG exempts them: disabled controls (opacity 0.55) and
// icons (the message menu's "⋯", the empty pane's picture).

const PAIRS = [
  { what: 'body text', fg: 'var(--text)', bg: ['var(--bg)'] },
  { what: 'text on cards, sidebar, dialogs, menus, reactions', fg: 'var(--text)', bg: ['var(--surface)'] },
  { what: 'buttons and hovered rows', fg: 'var(--text)', bg: ['var(--surface-2)'] },
  { what: 'hovered buttons', fg: 'var(--text)', bg: ['var(--surface-3)'] },
  { what: 'notices, menu items in focus, the open chat', fg: 'var(--text)', bg: ['var(--accent-soft)'] },
  { what: 'secondary text on cards: hints, times, previews, subtitles, banners', fg: 'var(--muted)', bg: ['var(--surface)'] },
  { what: 'secondary text on the page: placeholders, typing, status, message menus', fg: 'var(--muted)', bg: ['var(--bg)'] },
  { what: 'previews and the connection banner on hovered rows', fg: 'var(--muted)', bg: ['var(--surface-2)'] },
  { what: 'previews of the open chat', fg: 'var(--muted)', bg: ['var(--accent-soft)'] },
  { what: 'primary buttons, badges, "New messages"', fg: 'var(--accent-text)', bg: ['var(--accent)'] },
  { what: 'hovered primary buttons', fg: 'var(--accent-text)', bg: ['var(--accent-2)'] },
  { what: 'links, brand, unread times', fg: 'var(--accent)', bg: ['var(--surface)'] },
  { what: 'links in banners, unread times on hovered rows', fg: 'var(--accent)', bg: ['var(--surface-2)'] },
  { what: 'roles, the unread divider, unread time of the open chat', fg: 'var(--accent)', bg: ['var(--accent-soft)'] },
  { what: 'errors on cards', fg: 'var(--danger)', bg: ['var(--surface)'] },
  { what: 'errors on the page (a send that failed)', fg: 'var(--danger)', bg: ['var(--bg)'] },
  { what: 'danger buttons, the offline banner', fg: 'var(--danger)', bg: ['var(--danger-soft)'] },
  { what: 'the delete menu item in focus', fg: 'var(--danger)', bg: ['var(--accent-soft)'] },
  { what: '"online" in the chat header', fg: 'var(--online)', bg: ['var(--surface)'] },
  { what: 'their messages', fg: 'var(--text)', bg: ['var(--theirs)'] },
  { what: 'links in their messages', fg: 'var(--link)', bg: ['var(--theirs)'] },
  { what: 'my messages (each gradient stop)', fg: 'var(--mine-text)', bg: ['var(--mine)'] },
  { what: 'time and state of their messages', fg: 'var(--text)', bg: ['var(--theirs)'], textOpacity: 0.7 },
  { what: 'a deleted message of theirs', fg: 'var(--text)', bg: ['var(--theirs)'], textOpacity: 0.8 },
  { what: 'a failed message of mine', fg: 'var(--text)', bg: ['var(--danger-soft)'] },
  { what: 'a quote in their message', fg: 'var(--text)', bg: ['rgb(0 0 0 / 0.06)', 'var(--theirs)'] },
  { what: 'a quote in my message', fg: 'var(--mine-text)', bg: ['rgb(0 0 0 / 0.16)', 'var(--mine)'] },
  { what: 'avatar initials', fg: 'hsl(var(--hue) 60% 28%)', bg: ['hsl(var(--hue) 80% 88%)'], hues: true, dark: { fg: 'hsl(var(--hue) 80% 85%)', bg: ['hsl(var(--hue) 35% 28%)'] } },
  { what: 'sender names in groups', fg: 'hsl(var(--hue) 70% 27%)', bg: ['var(--theirs)'], hues: true, dark: { fg: 'hsl(var(--hue) 75% 72%)' } },
  { what: 'a removed chat in the list', fg: 'var(--muted)', bg: ['var(--surface)'] },
];

// Colours app.css uses for text that are not text, with the reason.
const NOT_TEXT = new Map([
  ['#a5f3fc', 'the "read" tick: an icon, whose state the label and the tooltip say (non-text contrast, 3:1)'],
]);

function check(theme, vars, pair) {
  const p = theme === 'dark' && pair.dark ? { ...pair, ...pair.dark } : pair;
  const failures = [];
  for (const hue of p.hues ? Array.from({ length: 360 }, (_, i) => i) : [undefined]) {
    const layers = p.bg.map((expr) => colours(expr, vars, hue));
    // Every combination of gradient stops (gradients have two).
    const bottoms = layers.at(-1);
    for (const bottom of bottoms) {
      assert.equal(bottom.a, 1, `${p.what}: the last background is opaque`);
      let bg = bottom;
      for (const layer of layers.slice(0, -1).reverse()) bg = over(layer[0], bg);
      for (const fgRaw of colours(p.fg, vars, hue)) {
        const fg = over({ ...fgRaw, a: fgRaw.a * (p.textOpacity ?? 1) }, bg);
        const ratio = contrast(fg, bg);
        if (ratio < MIN) failures.push(`${p.what}${hue === undefined ? '' : ` (hue ${hue})`}: ${ratio.toFixed(2)}:1`);
      }
    }
  }
  return failures;
}

for (const [theme, vars] of Object.entries(themes())) {
  test(`every text colour has at least ${MIN}:1 against its background (${theme} theme)`, () => {
    const failures = PAIRS.flatMap((pair) => check(theme, vars, pair));
    // One line per pair and the worst hue, so the message stays readable.
    const worst = new Map();
    for (const f of failures) {
      const [what, ratio] = [f.replace(/ \(hue \d+\)/, '').replace(/: [\d.]+:1$/, ''), parseFloat(f.split(': ').at(-1))];
      if (!worst.has(what) || ratio < worst.get(what).ratio) worst.set(what, { ratio, line: f });
    }
    assert.deepEqual([...worst.values()].map((w) => w.line), []);
  });
}

test('the contrast formula gives the known ratios', () => {
  assert.equal(contrast(parseColour('#000'), parseColour('#fff')).toFixed(2), '21.00');
  assert.equal(contrast(parseColour('#777777'), parseColour('#ffffff')).toFixed(2), '4.48');
  assert.equal(contrast(parseColour('hsl(0 0% 100%)'), parseColour('rgb(255 255 255)')).toFixed(2), '1.00');
  assert.equal(contrast(over(parseColour('rgb(0 0 0 / 0.5)'), parseColour('#fff')), parseColour('#fff')).toFixed(2), '3.98');
});

test('every colour app.css gives text is one the table checks', () => {
  const checked = new Set();
  for (const p of PAIRS) {
    checked.add(p.fg);
    if (p.dark?.fg) checked.add(p.dark.fg);
  }
  const unchecked = [];
  for (const [, value] of CSS.matchAll(/(?<![-\w])color\s*:\s*([^;}]+)/g)) {
    const v = value.trim().replace(/\s*!important$/, '');
    if (['inherit', 'currentcolor', 'transparent'].includes(v.toLowerCase())) continue;
    if (checked.has(v) || NOT_TEXT.has(v.toLowerCase())) continue;
    unchecked.push(v);
  }
  assert.deepEqual([...new Set(unchecked)], []);
});
