/**
 * Token storage: where the client keeps its token between runs.
 */
import type { TokenStorage } from '../options.js';

/** Keeps the token in memory (lost when the page or process ends). */
export function memoryTokenStorage(): TokenStorage {
  let token: string | null = null;
  return {
    get: () => token,
    set: (value) => {
      token = value;
    },
    clear: () => {
      token = null;
    },
  };
}

/**
 * Keeps the token in `localStorage` under `key` (browsers). Storage errors (private mode, quota) are
 * ignored: the client then simply logs in again next time.
 */
export function localStorageTokenStorage(key = 'agentc-realtime.token'): TokenStorage {
  const store = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);
  return {
    get: () => {
      try {
        return store()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set: (value) => {
      try {
        store()?.setItem(key, value);
      } catch {
        // not persisted; the next run logs in again
      }
    },
    clear: () => {
      try {
        store()?.removeItem(key);
      } catch {
        // nothing to clear
      }
    },
  };
}
