/**
 * members.js — what the "Here now" list shows from a presence frame (pure: no DOM).
 *
 * Owns `roster(frame, self)`: the members to list (one row per name, you first, then by name),
 * the room's total, and how many the frame left off. In a large room a presence frame lists at
 * most 100 members and carries the total as `count` (docs/protocol.md, "presence"); a server
 * without `count` lists everyone. Unit-tested with `node --test` (tests/js/members.test.js).
 */

/**
 * @param {object} frame  a v2 presence frame ({members: [{user, lang}], count?})
 * @param {string} self  this page's name (listed first)
 * @returns {{listed: Array<{user: string, lang: string}>, total: number, more: number}}
 */
export function roster(frame, self) {
  const members = Array.isArray(frame && frame.members) ? frame.members : [];
  const seen = new Map();
  for (const member of members) {
    if (member && typeof member.user === 'string' && !seen.has(member.user)) seen.set(member.user, member);
  }
  const listed = [...seen.values()]
    .sort((a, b) => (a.user === self ? -1 : b.user === self ? 1 : a.user.localeCompare(b.user)));
  const count = frame ? frame.count : undefined;
  // Capped: the frame lists fewer entries (one per connection) than the room holds.
  const capped = Number.isSafeInteger(count) && count > members.length;
  return {
    listed,
    total: capped ? count : listed.length,
    more: capped ? count - members.length : 0,
  };
}
