/**
 * Every server event reaches `events$` (the old SDK swallowed `text_delta`, `completion`,
 * `interaction`, `cancelled`, `error`, `history_delta` and the user-message events before its
 * `on()`, and never knew `open_a_i_user_message`: research/reference-sdk.md §4A item 2). A scripted
 * `ws` server sends one frame of every fixture the real server can send (test/fixtures/server, one or
 * more per type, written from PROTOCOL.md), in order, once the client is ready and its transcript
 * runs; `events$` must give back exactly those types, in that order, with their fields.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { fixture, fixtures } from '../../helpers/fixtures.js';
import { cleanup, firstMatch, scriptedClient, scriptedServer, until, withTimeout } from './harness.js';

afterEach(cleanup);

// sent after the client is ready: everything the server sends except the ping it never sends
const sent = fixtures.filter((f) => f.group === 'server');

describe('events$', () => {
  it(`delivers every server event the protocol has (${sent.length} fixtures of every type), in order, as sent`, async () => {
    expect(new Set(sent.map((f) => f.type)).size).toBeGreaterThanOrEqual(38);
    const server = await scriptedServer((frame, send) => {
      if (frame.type !== 'get_user_sessions') return; // the cue: send every fixture, then a marker
      for (const f of sent) send(f.text);
      send({ type: 'ui_session_id_changed', ui_session_id: 'UI-marker' });
    });
    const client = scriptedClient(server);
    const seen: ServerEvent[] = [];
    const errors: string[] = [];
    client.events$.subscribe((event) => seen.push(event));
    client.errors$.subscribe((error) => errors.push(`${error.reason}: ${error.message}`));
    client.messages$.subscribe(() => undefined); // the transcript folds all of it too
    await withTimeout(client.connect(), 5_000, 'ready');
    const from = seen.length;

    await client.send({ type: 'get_user_sessions', offset: 0, limit: 50 });
    await until(() => seen.some((e) => e.type === 'ui_session_id_changed' && e.ui_session_id === 'UI-marker'), 5_000, 'every fixture and the marker');

    const got = seen.slice(from, from + sent.length);
    expect(got.map((e) => e.type)).toEqual(sent.map((f) => f.type));
    for (const [i, f] of sent.entries()) {
      const wire = JSON.parse(f.text) as Record<string, unknown>;
      // every field the server sent is there (secrets excepted, defaults may be added)
      for (const [key, value] of Object.entries(wire)) {
        if (key === 'user' || key === 'agent_config' || key === 'chat_session') continue; // nested secrets are removed: checked in the schema tests
        expect((got[i] as unknown as Record<string, unknown>)[key], `${f.name}.${key}`).toEqual(value);
      }
    }
    // `error` fixtures are server_error notices, nothing else went wrong
    expect(errors.every((e) => e.startsWith('server_error'))).toBe(true);
    expect(errors).toHaveLength(sent.filter((f) => f.type === 'error').length);
    // and the client is still ready (a `chat_session_changed` or a `delete_chat_session` among them changes nothing about that)
    let state = '';
    client.connection$.subscribe((status) => (state = status.state)).unsubscribe();
    expect(state).toBe('ready');
  });

  it('after a burst without the catalogue lists (the short form), asks once for each missing list and fills catalog$ from the answers', async () => {
    const answers: Record<string, string> = { get_agents: 'agent_list', get_avatars: 'avatar_list', get_voices: 'voice_list', get_tool_catalog: 'tool_catalog' };
    const server = await scriptedServer((frame, send) => {
      const answer = answers[frame.type];
      if (answer) send(fixture(answer).text);
    });
    const client = scriptedClient(server);
    await withTimeout(client.connect(), 5_000, 'ready');
    const catalog = await firstMatch(client.catalog$, (c) => c.agents.length > 0 && c.avatars.length > 0 && c.voices.length > 0 && c.tools.length > 0, 5_000, 'every list on catalog$');
    expect(server.received.map((frame) => frame.type).sort()).toEqual(Object.keys(answers).sort());
    const wire = (name: string, key: string) => (JSON.parse(fixture(name).text) as Record<string, unknown[]>)[key]!.length;
    expect(catalog.agents).toHaveLength(wire('agent_list', 'agents'));
    expect(catalog.avatars).toHaveLength(wire('avatar_list', 'avatars'));
    expect(catalog.voices).toHaveLength(wire('voice_list', 'voices'));
    expect(catalog.tools).toHaveLength(wire('tool_catalog', 'tools'));
  });
});
