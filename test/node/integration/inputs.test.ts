/**
 * Bad input from the caller or the server gets a clear `ClientError` and leaves the client usable
 * (issue 10, defect 7 and the `strip()` case of defect 2): a missing WebSocket on Node 20, the
 * `sendText` arguments a plain-JavaScript caller may pass, text the server's Python `strip()`
 * empties (it would never be answered), and a server error that echoes a token.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../../src/client.js';
import { ClientError } from '../../../src/errors.js';
import { REDACTED_JWT } from '../../../src/schema/redact.js';
import { isChatCommand, isIgnoredText } from '../../../src/schema/text.js';
import type { Simulator } from '../../../src/sim/types.js';
import type { TranscriptMessage } from '../../../src/data/transcript/index.js';
import { ADMIN, cleanup, firstMatch, makeClient, scriptedClient, scriptedServer, startSim, until, withTimeout } from './harness.js';

afterEach(async () => {
  vi.unstubAllGlobals();
  await cleanup();
});

/** The client's `text_input` frames the simulator received. */
function textInputs(sim: Simulator): string[] {
  return sim.control.frames.flatMap((frame) => {
    if (frame.direction !== 'in' || frame.kind !== 'text') return [];
    const event = JSON.parse(frame.text!) as { type: string; text?: string };
    return event.type === 'text_input' ? [event.text ?? ''] : [];
  });
}

async function readyClient(sim: Simulator) {
  const h = makeClient(sim, { pingInterval: 60_000 });
  await withTimeout(h.client.connect(), 3000, 'connect');
  return h;
}

describe('createClient without a WebSocket', () => {
  it('throws invalid_options naming the option when the runtime has none (Node 20), not a TypeError', () => {
    vi.stubGlobal('WebSocket', undefined);
    let thrown: unknown;
    try {
      createClient({ url: 'http://127.0.0.1:1', auth: { ...ADMIN } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ClientError);
    expect(thrown).toMatchObject({ reason: 'invalid_options' });
    expect((thrown as Error).message).toMatch(/^WebSocket: .*'ws' package/);
  });
});

describe('sendText arguments', () => {
  it.each([
    ['fileIds of numbers', { fileIds: [1] }, /fileIds/],
    ['fileIds as a string', { fileIds: 'abc' }, /fileIds/],
    ['an empty file id', { fileIds: [''] }, /fileIds/],
    ['interrupt not a boolean', { interrupt: 'yes' }, /interrupt/],
    ['options not an object', 42, /options/],
  ])('%s: rejects invalid_options, sends nothing, and the next sendText works', async (_name, options, message) => {
    const sim = await startSim();
    const h = await readyClient(sim);
    const error = await h.client.sendText('hello', options as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ reason: 'invalid_options', message: expect.stringMatching(message) });
    expect(textInputs(sim)).toEqual([]);
    expect((await withTimeout(h.client.sendText('hello'), 5000, 'a valid sendText')).outcome).toBe('done');
  });

  it('null options mean none; a text that is not a string rejects invalid_options', async () => {
    const sim = await startSim();
    const h = await readyClient(sim);
    await expect(h.client.sendText(42 as never)).rejects.toMatchObject({ reason: 'invalid_options', message: expect.stringMatching(/^text: expected a string/) });
    expect((await withTimeout(h.client.sendText('hello', null as never), 5000, 'sendText with null options')).outcome).toBe('done');
    expect(textInputs(sim)).toEqual(['hello']);
  });
});

describe("the server's Python strip() rule (§13 item 13)", () => {
  it('text Python strips to nothing (\\x1c-\\x1f, \\x85, Unicode spaces) is refused at once instead of waiting for an answer that never comes; the client stays usable', async () => {
    const sim = await startSim();
    const h = await readyClient(sim);
    for (const text of ['\x1f', '\x1c\x1d\x1e', ' \x85\u3000\u2028 ']) {
      expect(text.trim(), 'JavaScript would not empty it').not.toBe('');
      await expect(withTimeout(h.client.sendText(text), 2000, 'the refusal')).rejects.toMatchObject({ reason: 'invalid_options' });
    }
    expect(textInputs(sim)).toEqual([]);
    expect((await withTimeout(h.client.sendText('hello'), 5000, 'the next sendText')).outcome).toBe('done');
  });

  it("' \\x1f!help' is a chat command for the server, so sendText settles as a command", async () => {
    const sim = await startSim();
    const h = await readyClient(sim);
    expect(await withTimeout(h.client.sendText(' \x1f!help'), 3000, 'the command')).toEqual({ outcome: 'command' });
    expect((await withTimeout(h.client.sendText('hello'), 5000, 'the next sendText')).outcome).toBe('done');
  });

  it('the rules: what is ignored and what is a command', () => {
    expect(isIgnoredText('\x1f\x85\xa0\u3000\t ')).toBe(true);
    expect(isIgnoredText('\ufeff')).toBe(false); // JavaScript's trim() strips it, Python's strip() does not
    expect(isChatCommand('\x1e!help')).toBe(true);
    expect(isChatCommand('!help\nmore')).toBe(false);
    expect(isChatCommand('\ufeff!help')).toBe(false);
  });
});

describe('a server error that echoes a token', () => {
  it('is redacted in errors$ (message and cause) and in the transcript', async () => {
    const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"admin"}').toString('base64url')}.c2lnbmF0dXJl`;
    const server = await scriptedServer((frame, send) => {
      if (frame.type === 'set_agent_voice') send({ type: 'error', message: `Invalid token ${token} for ws://host/api/rt/ws?token=${token}`, source: null });
    });
    const client = scriptedClient(server);
    let transcript: readonly TranscriptMessage[] = [];
    client.messages$.subscribe((messages) => (transcript = messages));
    await withTimeout(client.connect(), 3000, 'connect');
    const error = firstMatch(client.errors$, (e) => e.reason === 'server_error', 3000, 'the server error');
    await client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
    const received = await error;
    expect(received.message).not.toContain(token);
    expect(received.message).toContain(REDACTED_JWT);
    expect(JSON.stringify(received.cause)).not.toContain(token);
    const shown = transcript.filter((m) => m.kind === 'error');
    expect(shown).toHaveLength(1);
    expect(JSON.stringify(shown)).not.toContain(token);
  });
});

describe('interaction actors (issue 10, defect 4)', () => {
  it('a finished interaction leaves no actor behind: after five delegated answers the conversation holds only its turn', async () => {
    const sim = await startSim();
    const h = await readyClient(sim);
    await withTimeout(h.client.setAgent('delegator'), 3000, 'setAgent');
    for (let i = 0; i < 5; i++) expect((await withTimeout(h.client.sendText(`question ${i}`), 5000, `answer ${i}`)).outcome).toBe('done');
    const conversation = h.client.actor.system.get('conversation')!;
    expect(Object.keys(conversation.getSnapshot().children)).toEqual(['turn']);
    expect(conversation.getSnapshot().context.live).toEqual([]);
  });

  it("a server that starts and ends interactions under 300 made-up session ids does not grow the client's actors", async () => {
    const server = await scriptedServer((frame, send) => {
      if (frame.type !== 'set_agent_voice') return;
      for (let i = 0; i < 300; i++) {
        const envelope = { session_id: `made-up-${i}`, role: 'assistant', parent_session_id: 'x', user_session_id: 'x' };
        send({ type: 'interaction', ...envelope, started: true, id: `run-${i}` });
        send({ type: 'interaction', ...envelope, started: false, id: `run-${i}` });
      }
      send({ type: 'voice_list', voices: [] });
    });
    const client = scriptedClient(server);
    await withTimeout(client.connect(), 3000, 'connect');
    const done = firstMatch(client.events$, (e) => e.type === 'voice_list', 3000, 'the end of the burst');
    await client.send({ type: 'set_agent_voice', voice_id: 'alloy' });
    await done;
    const conversation = client.actor.system.get('conversation')!;
    expect(Object.keys(conversation.getSnapshot().children)).toEqual(['turn']);
  });
});

describe('a text_input the server never answers (issue 10, defect 2)', () => {
  it('sendText rejects timeout after the reply deadline, and the client is free: the next sendText is sent', async () => {
    const server = await scriptedServer(() => undefined); // hears everything, answers nothing
    const client = scriptedClient(server, { pingInterval: 60_000, connectionTimeout: 1_000 });
    await withTimeout(client.connect(), 3000, 'connect');
    const started = Date.now();
    const error = await withTimeout(client.sendText('lost in transit').catch((caught: unknown) => caught), 15_000, 'the timeout');
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_900); // three connection timeouts, at least 10 s
    const second = client.sendText('again').catch((caught: unknown) => caught);
    await until(() => server.received.filter((f) => f.type === 'text_input').length === 2, 2000, 'the second text_input');
    void second;
  }, 20_000);
});
