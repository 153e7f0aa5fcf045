import { describe, expect, it } from 'vitest';
import { Store } from '../../../src/sim/store.js';
import { createRandom } from '../../../src/sim/random.js';

/** A random source that always draws the same word, and throws instead of drawing forever. */
function stuckRandom(limit = 10_000) {
  let draws = 0;
  return () => {
    if (++draws > limit) throw new Error('the id generator kept drawing');
    return 0;
  };
}

describe('simulator ids', () => {
  it('finds a new chat session id when every two-word id it draws is taken', () => {
    const store = new Store('secret', 60_000, stuckRandom(), () => 0, []);
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const id = store.newChatSessionId('admin');
      expect(ids.has(id)).toBe(false);
      ids.add(id);
      store.chatSessions.set(id, {} as never);
    }
    expect([...ids]).toEqual(['admin-amber-amber', 'admin-amber-amber-2', 'admin-amber-amber-3', 'admin-amber-amber-4', 'admin-amber-amber-5']);
  });

  it('keeps the plain two-word form while ids are free, and stays unique past the ~2,000 two-word ids', () => {
    const store = new Store('secret', 60_000, createRandom(7), () => 0, []);
    const taken = new Set<string>();
    for (let i = 0; i < 2_500; i++) {
      const id = store.uniqueId('UI-admin', (candidate) => taken.has(candidate));
      expect(taken.has(id)).toBe(false);
      taken.add(id);
    }
    const first = [...taken][0]!;
    expect(first).toMatch(/^UI-admin-[a-z]+-[a-z]+$/);
  });
});
