/**
 * The transcript starts only when something needs it; a late subscriber still sees the completed
 * turns (the backlog keeps every event but the deltas, and history_delta carries each round's text).
 */
import { firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { afterEach, expect, it } from 'vitest';
import { createClient, type RealtimeClient } from '../../../src/client.js';
import { createSimulator, type Simulator } from '../../../src/sim/index.js';

const open: { sim?: Simulator; client?: RealtimeClient }[] = [];
afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    client?.dispose();
    await sim?.close();
  }
});

it('a late messages$ subscriber gets the completed turn, with the answer text the deltas streamed', async () => {
  const sim = await createSimulator({ deltaMs: 0 });
  const client = createClient({ url: sim.httpUrl, auth: { username: 'admin', password: 'changeme' }, WebSocket: WebSocket as never, agentKey: 'thinker' });
  open.push({ sim, client });
  await client.connect();
  let streamed = '';
  let turns = 0;
  const done = new Promise<void>((resolve) =>
    client.events$.subscribe((event) => {
      if (event.type === 'text_delta') streamed += event.content;
      if (event.type === 'user_turn_start' && ++turns === 1) resolve();
    }),
  );
  await client.send({ type: 'text_input', text: 'Think first' }); // raw: does not start the transcript
  await done;
  expect(streamed.length).toBeGreaterThan(50);

  const messages = await firstValueFrom(client.messages$);
  const kinds = messages.map((m) => m.kind);
  expect(kinds).toEqual(['media', 'user', 'thought', 'assistant']);
  const answer = messages.at(-1)!;
  expect(answer.kind === 'assistant' && answer.text).toBe(streamed);
  const user = messages[1]!;
  expect(user.kind === 'user' && user.text).toBe('Think first');
});
