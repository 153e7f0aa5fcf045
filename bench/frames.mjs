// Deterministic realistic `text_delta` frames, shaped as the server sends them
// (reference-sdk.md §6.1): ~180 bytes, ~12 % special tokens.

import { createRandom as prng } from '../dist/sim/random.js';

const WORDS = (
  'the connection agent stream session answer token model server client protocol message delta ' +
  'realtime voice avatar render tool result thought interaction completion history latency buffer ' +
  'reconnect heartbeat schema validate socket frame browser node transcript markdown'
).split(' ');
const SPECIAL = ['\n', '\n\n', '**', '`', '"', '\\', '\t', 'é', '“', '”', '🚀', '# '];

/** Returns `n` JSON text frames of `text_delta` events for one session. */
export function textDeltaFrames(n, seed = 42, sessionId = 'alpine-option-sardine') {
  const random = prng(seed);
  const frames = new Array(n);
  for (let i = 0; i < n; i++) {
    const content =
      random() < 0.12
        ? SPECIAL[Math.floor(random() * SPECIAL.length)]
        : (random() < 0.8 ? ' ' : '') + WORDS[Math.floor(random() * WORDS.length)];
    frames[i] = JSON.stringify({
      type: 'text_delta',
      session_id: sessionId,
      role: 'assistant',
      parent_session_id: null,
      user_session_id: sessionId,
      content,
      format: 'markdown',
    });
  }
  return frames;
}
