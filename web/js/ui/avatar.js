// Round initials avatar with an optional presence dot.

import { h } from './dom.js';
import { hueOf, initials } from './format.js';

export function avatar(id, name, { size = 'md', presence = null, group = false } = {}) {
  const el = h('span', { class: `avatar ${size}${group ? ' group' : ''}`, 'aria-hidden': 'true', style: `--hue: ${hueOf(id)}` }, initials(name));
  if (presence) el.append(h('span', { class: `presence-dot ${presence.status === 'online' ? 'online' : 'offline'}` }));
  return el;
}
