// Tiny DOM helpers: element creation without a framework.

/**
 * Creates an element. `attrs` keys: `class`, `dataset` (object), `on` (object of
 * event listeners), `text`, boolean attributes (true adds, false/null omits),
 * properties that are not attributes (`value`, `checked`) and anything else as an attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'text') el.textContent = value;
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

/** Replaces the children of `el` with `children`. */
export function setChildren(el, ...children) {
  clear(el);
  append(el, children);
}

/**
 * Reconciles `container`'s children with `items` by key: existing elements whose
 * key is still present are kept (and updated through `update`), missing ones are
 * created with `create`, stale ones removed, and the order fixed with minimal moves.
 * Keeping nodes keeps focus, selection and scroll anchoring stable.
 */
export function reconcile(container, items, { key, create, update }) {
  const existing = new Map();
  for (const child of Array.from(container.children)) {
    if (child.dataset.key !== undefined) existing.set(child.dataset.key, child);
    else child.remove();
  }
  let cursor = container.firstElementChild;
  for (const item of items) {
    const k = key(item);
    let el = existing.get(k);
    if (el) {
      existing.delete(k);
      update?.(el, item);
    } else {
      el = create(item);
      el.dataset.key = k;
    }
    if (el !== cursor) container.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const stale of existing.values()) stale.remove();
}

/** Coalesces calls into one run per microtask turn. */
export function batched(fn) {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      fn();
    });
  };
}
