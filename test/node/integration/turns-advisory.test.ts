/**
 * Turn events are advisory (PROTOCOL.md §9 item 3): a command held while an answer runs (it would
 * pre-empt it, §1.5) must go out once the server is no longer busy, even when the server never sends
 * the turn edges the client normally waits for. The server here is a real `ws` server on 127.0.0.1
 * with a script: the init burst, then an answer made only of `interaction` start and end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureObject } from '../../helpers/fixtures.js';
import { cleanup, firstMatch, quietPeriod, scriptedClient, scriptedServer, until, withTimeout } from './harness.js';

const SESSION = (fixtureObject('chat_session_changed').chat_session as { session_id: string }).session_id;

afterEach(cleanup);

const envelope = { session_id: SESSION, role: 'assistant', parent_session_id: null, user_session_id: SESSION };

describe('held commands when the server skips the turn events', () => {
  it('a command held during an answer goes out when the interaction ends, with no user_turn_end/start around it', async () => {
    let finish: () => void = () => undefined;
    const server = await scriptedServer((frame, send) => {
      if (frame.type !== 'text_input') return;
      send({ type: 'interaction', ...envelope, started: true, id: 'quiet-run' });
      finish = () => send({ type: 'interaction', ...envelope, started: false, id: 'quiet-run' });
    });
    const client = scriptedClient(server);
    await withTimeout(client.connect(), 5_000, 'ready');

    const answer = client.sendText('hello');
    await until(() => server.received.some((frame) => frame.type === 'text_input'), 5_000, 'text_input at the server');
    await firstMatch(client.interaction$, (view) => view?.state === 'streaming', 5_000, 'the interaction streaming');

    // set_agent would pre-empt the running answer on the server: held
    const held = client.send({ type: 'set_agent', agent_key: 'other' });
    await quietPeriod(100);
    expect(server.received.map((frame) => frame.type)).not.toContain('set_agent');

    finish(); // the interaction ends; the turn never moved (no user_turn_end was ever sent)
    await withTimeout(held, 5_000, 'the held command released');
    await until(() => server.received.some((frame) => frame.type === 'set_agent'), 5_000, 'set_agent at the server');
    const output = await withTimeout(answer, 5_000, 'sendText resolved');
    expect(output.outcome).toBe('done');
  });

  it('still holds the command while the turn is the agent\'s after the interaction ended, and sends it on user_turn_start', async () => {
    let sendNow: (frame: object) => void = () => undefined;
    const server = await scriptedServer((frame, send) => {
      if (frame.type !== 'text_input') return;
      sendNow = send;
      send({ type: 'user_turn_end' });
      send({ type: 'interaction', ...envelope, started: true, id: 'normal-run' });
    });
    const client = scriptedClient(server);
    await withTimeout(client.connect(), 5_000, 'ready');

    const answer = client.sendText('hello');
    await until(() => server.received.some((frame) => frame.type === 'text_input'), 5_000, 'text_input at the server');
    await firstMatch(client.turn$, (turn) => turn === 'agent', 5_000, "the agent's turn");
    const held = client.send({ type: 'set_agent', agent_key: 'other' });
    sendNow({ type: 'interaction', ...envelope, started: false, id: 'normal-run' });
    await quietPeriod(150);
    // the server is still saving the session until user_turn_start: not yet
    expect(server.received.map((frame) => frame.type)).not.toContain('set_agent');

    sendNow({ type: 'user_turn_start' });
    await withTimeout(held, 5_000, 'the held command released');
    await until(() => server.received.some((frame) => frame.type === 'set_agent'), 5_000, 'set_agent at the server');
    expect((await withTimeout(answer, 5_000, 'sendText resolved')).outcome).toBe('done');
  });
});
