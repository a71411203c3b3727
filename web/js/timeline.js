// Group timeline lines (docs/protocol.md, "Group timeline"): entries of kind
// "event" that the server writes after each change of a group ("Ann added
// Cy", "Bob left"). They are shown among the messages, in seq order, but are
// not messages: never unread, never notified, never acted upon. This module
// turns one into words; no DOM, no network (web/tests/timeline.test.js).

/** Whether an entry is a line of the group's timeline. */
export function isTimelineLine(m) {
  return m?.kind === 'event';
}

/**
 * The words of a timeline line, as parts: strings, and {name} for a person's
 * name (the view isolates names, which may be right-to-left).
 * @param {{type?: string, user_id?: string, name?: string, role?: string}} event
 * @param {string} actorId  who made the change (the entry's sender_id)
 * @param {object} who
 * @param {string} who.me  the user looking
 * @param {(userId: string) => string|null} who.nameOf  a known display name, or null
 * @param {(userId: string) => boolean} who.isMember  whether the user is a member now
 */
export function timelineParts(event, actorId, { me, nameOf, isMember }) {
  // A person at the start of the sentence, or in its middle. A user who left
  // and shares no chat with us any more has no name we can know.
  const person = (userId, start) => {
    if (userId && userId === me) return start ? 'You' : 'you';
    const name = userId ? nameOf(userId) : null;
    if (name) return { name };
    return start ? 'A former member' : 'a former member';
  };
  const e = event ?? {};
  switch (e.type) {
    case 'member_added':
      return [person(actorId, true), ' added ', person(e.user_id, false)];
    case 'member_removed':
      return [person(actorId, true), ' removed ', person(e.user_id, false)];
    case 'member_left':
      return [person(e.user_id ?? actorId, true), ' left'];
    case 'renamed':
      return [person(actorId, true), ' renamed the group to “', { name: e.name ?? '' }, '”'];
    case 'role_changed':
      if (e.role === 'admin') {
        // The last admin's leaving hands the role on: its line comes from
        // someone who is gone, so it says what happened, not who did it.
        if (e.user_id === actorId || !isMember(actorId)) return [person(e.user_id, true), e.user_id === me ? ' are now an admin' : ' is now an admin'];
        return [person(actorId, true), ' made ', person(e.user_id, false), ' an admin'];
      }
      return [person(e.user_id, true), e.user_id === me ? ' are no longer an admin' : ' is no longer an admin'];
    default:
      // A type this version does not know (the protocol says: ignore it).
      return null;
  }
}

/** The plain text of a line's parts. */
export function timelineText(parts) {
  return (parts ?? []).map((p) => (typeof p === 'string' ? p : p.name)).join('');
}
