/**
 * Hostile server data: frames that parse but mean nonsense or try to hurt (deep nesting, prototype
 * keys, brackets without their other half, results for calls nobody made, events of other sessions,
 * odd binary frames, huge strings). The client must stay ready, report only what is invalid on
 * errors$, keep every observable alive, leave Object.prototype alone, and answer the next chat
 * normally, with the transcript intact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TranscriptMessage } from '../../../src/index.js';
import { cleanup, makeClient, startSim } from './harness.js';

afterEach(cleanup);

const DEPTH = 50_000;
const nested = (inner: string) => '{"a":'.repeat(DEPTH) + inner + '}'.repeat(DEPTH);

describe('hostile server data', () => {
  it('the client stays ready and consistent, and the next chat works', async () => {
    const sim = await startSim();
    const h = makeClient(sim);
    let messages: readonly TranscriptMessage[] = [];
    const errored: string[] = [];
    const streams = ['events$', 'errors$', 'messages$', 'streaming$', 'turn$', 'interaction$', 'sessions$', 'currentSession$', 'catalog$', 'user$', 'state$', 'connection$'] as const;
    for (const name of streams) {
      (h.client[name] as import('rxjs').Observable<unknown>).subscribe({ error: (error: unknown) => errored.push(`${name}: ${String(error)}`) });
    }
    h.client.messages$.subscribe((list) => (messages = list));
    await h.connect(3000);
    const session = h.client.currentSession$;
    let sessionId = '';
    session.subscribe((s) => (sessionId = s?.session_id ?? sessionId));
    const env = `"session_id": "${sessionId}", "role": "assistant", "parent_session_id": null, "user_session_id": "${sessionId}"`;
    const from = h.timeline.length;

    const frames = [
      // deep nesting where the schema takes any JSON (tool input, completion options, metadata)
      `{"type": "tool_call", ${env}, "active": true, "vendor": "anthropic", "tool_calls": [{"id": "deep", "name": "n", "input": ${nested('1')}}], "tool_results": null}`,
      `{"type": "completion", ${env}, "running": true, "completion_options": ${nested('[]')}}`,
      `{"type": "session_metadata_changed", "meta": ${nested('"x"')}}`,
      `{"type": "brand_new_event", "payload": ${nested('null')}}`,
      // prototype keys, top level and nested
      `{"type": "text_delta", ${env}, "content": "x", "format": "markdown", "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}`,
      `{"type": "chat_session_added", "chat_session": {"session_id": "evil", "__proto__": {"polluted": true}}}`,
      // brackets and ends without their other half, results for calls nobody made
      `{"type": "subsession_ended", ${env}}`,
      `{"type": "interaction", ${env}, "started": false, "id": "never-started"}`,
      `{"type": "tool_call", ${env}, "active": false, "vendor": "anthropic", "tool_calls": [{"id": "ghost", "name": "g", "input": "{"}], "tool_results": [{"type": "tool_result", "tool_use_id": "nobody", "content": "?"}]}`,
      `{"type": "complete_thought", ${env}, "content": "a thought nobody streamed", "format": "markdown"}`,
      // another session's text, and a delta whose envelope lies about everything
      `{"type": "text_delta", "session_id": "someone-else", "role": "assistant", "parent_session_id": null, "user_session_id": "someone-else", "content": "not yours", "format": "markdown"}`,
      `{"type": "text_delta", "session_id": 42, "role": null, "content": "bad envelope"}`,
      // a huge string within maxMessageSize
      `{"type": "system_message", ${env}, "content": "${'y'.repeat(2_000_000)}", "format": "markdown", "severity": "info"}`,
      // not JSON objects
      '[1, 2, 3]',
      'null',
      '{"type": 7}',
    ];
    for (const frame of frames) sim.control.sendMalformed(frame);
    sim.control.sendMalformed(new Uint8Array([1, 2, 3])); // PCM16 needs whole samples
    await h.roundTrip(10_000); // everything above has been handled by now

    // the valid ones arrived as events (the others were not lost silently either: see errors$)
    expect(sessionId).not.toBe('');
    expect(h.types(from)).toEqual(
      expect.arrayContaining(['tool_call', 'completion', 'session_metadata_changed', 'text_delta', 'chat_session_added', 'subsession_ended', 'interaction', 'complete_thought', 'system_message']),
    );
    const huge = h.events(from).find((e) => e.type === 'system_message');
    expect(huge?.type === 'system_message' && huge.content.length).toBe(2_000_000);
    expect(messages.some((m) => m.kind === 'tool_call' && m.toolCallId === 'deep')).toBe(true);

    // invalid frames, and only those, are protocol errors
    const protocolErrors = h.errors(from).filter((e) => e.reason === 'protocol');
    expect(protocolErrors.map((e) => e.message)).toEqual([
      expect.stringContaining('schema, type text_delta'), // session_id 42
      expect.stringContaining('not_object'),
      expect.stringContaining('not_object'),
      expect.stringContaining('no_type'),
      expect.stringContaining('bad_audio'),
    ]);
    expect(h.errors(from).filter((e) => e.reason !== 'protocol')).toEqual([]);
    expect(h.states(from)).toEqual([]); // never left ready
    expect(errored).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    // nothing of another session in the transcript
    expect(messages.some((m) => 'text' in m && m.text.includes('not yours'))).toBe(false);

    // and the next chat works, its answer in the transcript
    const answer = await h.client.sendText('Hello after the storm');
    expect(answer.outcome).toBe('done');
    const user = messages.findIndex((m) => m.kind === 'user' && m.text === 'Hello after the storm');
    expect(user).toBeGreaterThanOrEqual(0);
    expect(messages.slice(user + 1).some((m) => m.kind === 'assistant' && m.complete && m.text.length > 0)).toBe(true);
    expect(h.status().state).toBe('ready');
  }, 30_000);
});
