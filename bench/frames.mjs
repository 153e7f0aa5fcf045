// Deterministic realistic `text_delta` frames, shaped as the server sends them
// (reference-sdk.md §6.1): ~180 bytes, ~12 % special tokens.

import { WebSocket } from 'ws';
import { createSimulator } from '../dist/sim/index.js';
import { createRandom as prng } from '../dist/sim/random.js';
import { login as loginAt } from './sim-child.mjs';

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

/**
 * The frames of an in-process simulator (default profile): its initialization burst up to the
 * first `user_turn_start`, and the whole answer to `stream 3` from the firehose agent (3 deltas),
 * as the texts it sent; plus the token it issued.
 */
export async function recordSimulatorFrames() {
  const sim = await createSimulator({ record: false, deltaMs: 0, firehoseDeltas: 3 });
  try {
    const base = `http://127.0.0.1:${sim.port}`;
    const login = await loginAt(base);
    const socket = new WebSocket(`ws://127.0.0.1:${sim.port}/api/rt/ws?token=${login.agent_c_token}&agent_key=firehose`);
    const burst = [];
    const answer = [];
    await new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('message', (data) => {
        const text = data.toString();
        const type = JSON.parse(text).type;
        (answer.length === 0 && burst.at(-1) !== '__sent' ? burst : answer).push(text);
        if (type !== 'user_turn_start') return;
        if (answer.length === 0 && burst.at(-1) !== '__sent') {
          burst.push('__sent');
          socket.send(JSON.stringify({ type: 'text_input', text: 'stream 3' }));
        } else resolve();
      });
    });
    socket.close();
    burst.pop();
    return { burst, answer, token: login.agent_c_token };
  } finally {
    await sim.close();
  }
}

