// Message actions (docs/protocol.md, "Message actions"): edits, deletions and
// reactions are entries of a chat's log, with `kind` and `target_seq`. These
// pure functions apply them to the messages a device holds; no DOM, no network
// (unit-tested under node --test, web/tests/actions.test.js).

/** Whether an entry is a message to show (not an action on one). */
export function isShown(m) {
  return !m.kind || m.kind === 'text';
}

/**
 * Applies `action` to `target` (mutated), once: an action at or below the
 * state the target already reflects is skipped. A message read through REST
 * reflects every action committed before the read, so its `state_seq` is the
 * newest seq known then (see stateSeqOfFetched).
 * @returns {boolean} whether the target changed
 */
export function applyAction(target, action) {
  if (!target || isShown(action)) return false;
  if ((target.state_seq ?? 0) >= action.seq) return false;
  target.state_seq = action.seq;
  switch (action.kind) {
    case 'edit':
      if (target.deleted) return true;
      target.text = action.text;
      target.edited_at = action.ts;
      return true;
    case 'delete':
      target.text = '';
      target.deleted = true;
      target.reactions = [];
      return true;
    case 'reaction': {
      if (target.deleted) return true;
      const others = (target.reactions ?? []).filter((r) => r.user_id !== action.sender_id);
      const mine = (target.reactions ?? []).find((r) => r.user_id === action.sender_id);
      if (!action.text) target.reactions = others;
      else if (mine) target.reactions = target.reactions.map((r) => (r === mine ? { ...r, emoji: action.text } : r));
      else target.reactions = [...others, { user_id: action.sender_id, emoji: action.text }];
      return true;
    }
    default:
      return false;
  }
}

/** Reactions grouped by emoji, in the order first given: [{emoji, users, mine}]. */
export function reactionGroups(reactions, me) {
  const groups = new Map();
  for (const { user_id: user, emoji } of reactions ?? []) {
    if (!groups.has(emoji)) groups.set(emoji, { emoji, users: [], mine: false });
    const g = groups.get(emoji);
    g.users.push(user);
    if (user === me) g.mine = true;
  }
  return [...groups.values()];
}

/** The emoji `me` reacted with, or ''. */
export function myReaction(message, me) {
  return (message.reactions ?? []).find((r) => r.user_id === me)?.emoji ?? '';
}

/** The quick reactions offered in a message's menu. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

/** At most `max` characters of a text on one line, for quotes. */
export function quoteText(text, max = 100) {
  const chars = [...(text ?? '').replace(/\s+/g, ' ')];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : chars.join('');
}
