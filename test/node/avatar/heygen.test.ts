/**
 * The HeyGen adapter (`agentc-realtime/heygen`) against the simulator's fake HeyGen (Node, `ws` as
 * the WebSocket, the simulator's HTTP URL as the API base), plus a scripted socket for the frames
 * the fake never sends.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as entry from '../../../src/heygen.js';
import { createHeyGenAdapter, type AvatarAdapter, type AvatarAdapterEvents, type AvatarSessionInfo, type HeyGenAdapterOptions, type HeyGenSocket } from '../../../src/heygen.js';
import type { Simulator } from '../../../src/sim/types.js';
import { http, login } from '../../helpers/sim-client.js';
import { connectReady, poll, sleep, startSim, useSimulators } from '../sim/harness.js';

useSimulators();

type Reported = { readonly kind: 'ready' } | { readonly kind: 'speaking'; readonly talking: boolean } | { readonly kind: 'closed'; readonly reason: string };

/** Records what an adapter reports. */
function recorder(): AvatarAdapterEvents & { readonly log: Reported[]; waitFor(what: string, test: (r: Reported) => boolean): Promise<number> } {
  const log: Reported[] = [];
  return {
    log,
    ready: () => log.push({ kind: 'ready' }),
    speaking: (talking) => log.push({ kind: 'speaking', talking }),
    closed: (reason) => log.push({ kind: 'closed', reason }),
    async waitFor(what, test) {
      await poll(() => log.some(test), `${what} (reported: ${JSON.stringify(log)})`, 3000, 2);
      return performance.now();
    },
  };
}

const adapters: AvatarAdapter[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((adapter) => Promise.resolve(adapter.close()).catch(() => undefined)));
});

function adapterFor(sim: Simulator, options: HeyGenAdapterOptions = {}): AvatarAdapter {
  const adapter = createHeyGenAdapter({ WebSocket, apiBase: sim.httpUrl, ...options });
  adapters.push(adapter);
  return adapter;
}

/** A simulator, a session of its fake HeyGen, and an adapter connected to it whose stream is ready. */
async function readyAdapter() {
  const sim = await startSim();
  const session = await newSession(sim);
  const events = recorder();
  const adapter = adapterFor(sim);
  await adapter.connect(session, events);
  await events.waitFor('ready', isReady);
  return { sim, session, events, adapter };
}

/** A session made with streaming.new and the login's heygen_token, as the core hands it over. */
async function newSession(sim: Simulator): Promise<AvatarSessionInfo> {
  const { heygen_token } = await login(sim);
  const made = await http(sim, 'POST', '/v1/streaming.new', { json: { avatar_id: 'Ann_Therapist_public' }, headers: { 'x-api-key': heygen_token } });
  const data = made.body.data as Record<string, string>;
  return { sessionId: data.session_id!, accessToken: data.access_token!, url: data.url!, realtimeEndpoint: data.realtime_endpoint! };
}

const isReady = (r: Reported) => r.kind === 'ready';
const speaking = (talking: boolean) => (r: Reported) => r.kind === 'speaking' && r.talking === talking;

describe('HeyGen adapter against the simulator', () => {
  it('connect resolves once the stream is open; stream_ready → ready()', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const events = recorder();
    await adapterFor(sim).connect(session, events);
    expect(sim.control.heygenSessions()[0]!.connected).toBe(true);
    await events.waitFor('ready', isReady);
    expect(events.log).toStrictEqual([{ kind: 'ready' }]);
  });

  it('speak → speaking(true), then speaking(false) when the avatar is done', async () => {
    const { sim, session, events, adapter } = await readyAdapter();
    await adapter.speak!('Hello from the adapter, five words');
    expect(sim.control.heygenSessions()[0]!.said).toStrictEqual(['Hello from the adapter, five words']);
    const started = await events.waitFor('speaking(true)', speaking(true));
    const stopped = await events.waitFor('speaking(false)', speaking(false));
    expect(stopped - started).toBeGreaterThanOrEqual(200); // 6 words × 60 ms, less the polling slack
    expect(events.log).toStrictEqual([{ kind: 'ready' }, { kind: 'speaking', talking: true }, { kind: 'speaking', talking: false }]);
  });

  it('interrupt while talking → speaking(false) at once', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const events = recorder();
    const adapter = adapterFor(sim);
    await adapter.connect(session, events);
    await adapter.speak!('word '.repeat(100)); // 6 s
    await events.waitFor('speaking(true)', speaking(true));
    const asked = performance.now();
    await adapter.interrupt();
    const stopped = await events.waitFor('speaking(false)', speaking(false));
    expect(stopped - asked).toBeLessThan(300);
    expect(sim.control.heygenSessions()[0]!.talking).toBe(false);
    await adapter.interrupt(); // not talking: fine, nothing reported
    await sleep(30);
    expect(events.log.filter((r) => r.kind === 'speaking')).toHaveLength(2);
  });

  it("the session set_avatar makes over a raw Agent C socket works: connect, ready, speak", async () => {
    const sim = await startSim();
    const { client } = await connectReady(sim);
    client.send({ type: 'set_avatar', avatar_id: 'Ann_Therapist_public' });
    const { avatar_session: raw } = await client.next('avatar_connection_changed');
    const session: AvatarSessionInfo = { sessionId: raw.session_id, accessToken: raw.access_token, url: raw.url, realtimeEndpoint: raw.realtime_endpoint };
    const events = recorder();
    const adapter = adapterFor(sim);
    await adapter.connect(session, events);
    await events.waitFor('ready', isReady);
    await adapter.speak!('hi');
    await events.waitFor('speaking(false)', speaking(false));
    expect(events.log.map((r) => r.kind)).toStrictEqual(['ready', 'speaking', 'speaking']);
  });

  it('set_avatar_session with the adapter’s session: the server’s greeting makes the avatar talk', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const events = recorder();
    await adapterFor(sim).connect(session, events);
    await events.waitFor('ready', isReady);
    const { client } = await connectReady(sim);
    client.send({ type: 'set_avatar_session', access_token: session.accessToken, avatar_session_id: session.sessionId });
    expect((await client.sync()).map((e) => e.type)).toStrictEqual(['agent_voice_changed', 'text_delta']);
    await events.waitFor('speaking(true)', speaking(true));
    await events.waitFor('speaking(false)', speaking(false));
  });

  it('a wrong token: connect rejects with the HTTP status, without the token; nothing is reported', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const events = recorder();
    const bad = { ...session, accessToken: 'sim-heygen-access-not-this-one' };
    const error = await Promise.resolve(adapterFor(sim).connect(bad, events)).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^HeyGen adapter: the stream did not open \(.*401.*\)$/);
    expect(error!.message).not.toContain(bad.accessToken);
    expect(error!.message).toBe('HeyGen adapter: the stream did not open (Unexpected server response: 401)');
    expect(events.log).toStrictEqual([]);
  });

  it('a session without url: connect rejects with a clear error', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    await expect(Promise.resolve(adapterFor(sim).connect({ ...session, url: null }, recorder()))).rejects.toThrow('HeyGen adapter: the avatar session has no url to connect to');
    await expect(Promise.resolve(adapterFor(sim).connect({ ...session, url: 'ftp://x' }, recorder()))).rejects.toThrow(/unsupported scheme "ftp:"/);
  });

  it('close: the socket closes, no event is reported afterwards, calling it again does nothing more', async () => {
    const { sim, session, events, adapter } = await readyAdapter();
    await adapter.speak!('word '.repeat(20));
    await events.waitFor('speaking(true)', speaking(true));
    await adapter.close();
    await adapter.close();
    await poll(() => !sim.control.heygenSessions()[0]!.connected, 'the fake saw the socket close');
    expect(sim.control.heygenSessions()[0]!.talking).toBe(true); // the session is not ours to stop
    await sleep(1300); // the avatar stops talking, and nobody hears it
    expect(events.log).toStrictEqual([{ kind: 'ready' }, { kind: 'speaking', talking: true }]);
    await adapter.interrupt(); // a no-op once closed
    await expect(Promise.resolve(adapter.speak!('again'))).rejects.toThrow('HeyGen adapter: not connected');
  });

  it('stopSessionOnClose: close also ends the session (streaming.stop)', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const adapter = adapterFor(sim, { stopSessionOnClose: true });
    await adapter.connect(session, recorder());
    await adapter.close();
    expect(sim.control.heygenSessions()).toStrictEqual([]);
  });

  it('the session is stopped elsewhere: closed(reason) once; then speak rejects naming the HTTP status, without the token', async () => {
    const { sim, session, events, adapter } = await readyAdapter();
    await http(sim, 'POST', '/v1/streaming.stop', { json: { session_id: session.sessionId }, token: session.accessToken });
    await events.waitFor('closed', (r) => r.kind === 'closed');
    expect(events.log.at(-1)).toStrictEqual({ kind: 'closed', reason: 'the HeyGen stream closed (code 1000: Session stopped)' });
    const error = await Promise.resolve(adapter.speak!('anyone there?')).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toBe('HeyGen streaming.task failed with HTTP 401 Unauthorized: Unauthorized');
    await adapter.close();
    expect(events.log.filter((r) => r.kind === 'closed')).toHaveLength(1);
  });

  it('close while connecting: connect rejects, nothing is reported', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const events = recorder();
    const adapter = adapterFor(sim);
    const connecting = Promise.resolve(adapter.connect(session, events));
    await adapter.close();
    await expect(connecting).rejects.toThrow('HeyGen adapter: the stream did not open (closed before it opened)');
    await sleep(50);
    expect(events.log).toStrictEqual([]);
  });

  it('a second connect before close is refused; after close the adapter connects again', async () => {
    const sim = await startSim();
    const session = await newSession(sim);
    const adapter = adapterFor(sim);
    await adapter.connect(session, recorder());
    await expect(Promise.resolve(adapter.connect(session, recorder()))).rejects.toThrow('already connected');
    await adapter.close();
    const events = recorder();
    await adapter.connect(session, events);
    await events.waitFor('ready', isReady);
  });
});

/** A scripted socket: records its URL, opens on demand, delivers whatever a test hands it. */
class ScriptedSocket implements HeyGenSocket {
  static last: ScriptedSocket | undefined;
  readyState = 0;
  onopen: ((event: any) => void) | null = null;
  onmessage: ((event: any) => void) | null = null;
  onerror: ((event: any) => void) | null = null;
  onclose: ((event: any) => void) | null = null;
  constructor(readonly url: string) {
    ScriptedSocket.last = this;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(data: unknown): void {
    this.onmessage?.({ data });
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

describe('HeyGen adapter: URLs and frames', () => {
  const session: AvatarSessionInfo = { sessionId: 'sess 1', accessToken: 'secret-token/+=', url: 'https://heygen-abc.livekit.cloud:8443/room', realtimeEndpoint: null };

  async function scripted(url: string | null = session.url): Promise<{ socket: ScriptedSocket; events: ReturnType<typeof recorder>; adapter: AvatarAdapter }> {
    const adapter = createHeyGenAdapter({ WebSocket: ScriptedSocket, fetch: () => Promise.reject(new Error('no network here')) });
    const events = recorder();
    const connected = Promise.resolve(adapter.connect({ ...session, url }, events));
    const socket = ScriptedSocket.last!;
    socket.open();
    await connected;
    return { socket, events, adapter };
  }

  it('the stream URL: wss for https/wss, ws for http/ws, the host with its port, ids and token encoded', async () => {
    expect((await scripted()).socket.url).toBe('wss://heygen-abc.livekit.cloud:8443/v1/ws/streaming.chat?session_id=sess+1&session_token=secret-token%2F%2B%3D');
    expect((await scripted('wss://h.example')).socket.url).toMatch(/^wss:\/\/h\.example\/v1\/ws\/streaming\.chat\?/);
    expect((await scripted('http://127.0.0.1:9')).socket.url).toMatch(/^ws:\/\/127\.0\.0\.1:9\/v1\/ws\/streaming\.chat\?/);
    expect((await scripted('ws://localhost:8000/x')).socket.url).toMatch(/^ws:\/\/localhost:8000\/v1\/ws\/streaming\.chat\?/);
  });

  it('malformed, unknown and binary frames are ignored; the known ones are mapped', async () => {
    const { socket, events } = await scripted();
    for (const data of ['not json', '{"type": "avatar_start_talking"', 'null', '42', '[]', '{"no_type": true}', '{"type": 7}', '{"type": "user_start"}', new Uint8Array([1, 2, 3]), undefined]) {
      expect(() => socket.deliver(data)).not.toThrow();
    }
    expect(events.log).toStrictEqual([]);
    socket.deliver('{"type": "stream_ready", "detail": {"session_id": "sess 1"}}');
    socket.deliver('{"type": "avatar_start_talking"}');
    socket.deliver('{"type": "avatar_stop_talking", "detail": {}}');
    expect(events.log).toStrictEqual([{ kind: 'ready' }, { kind: 'speaking', talking: true }, { kind: 'speaking', talking: false }]);
  });

  it('after close, a frame still in flight (a handler captured before) reports nothing, nor does the close itself', async () => {
    const { socket, events, adapter } = await scripted();
    const late = socket.onmessage!;
    await adapter.close();
    expect(socket.readyState).toBe(3);
    late({ data: '{"type": "avatar_start_talking"}' });
    socket.onclose?.({ code: 1006, reason: '' });
    expect(events.log).toStrictEqual([]);
  });

  it('an app callback that throws does not break the socket handler (it is reported asynchronously)', async () => {
    const adapter = createHeyGenAdapter({ WebSocket: ScriptedSocket });
    const seen: boolean[] = [];
    const connected = Promise.resolve(adapter.connect(session, { ready: () => { throw new Error('app bug'); }, speaking: (t) => seen.push(t), closed: () => undefined }));
    ScriptedSocket.last!.open();
    await connected;
    const thrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (task) => original(() => { try { task(); } catch (error) { thrown.push(error); } });
    try {
      expect(() => ScriptedSocket.last!.deliver('{"type": "stream_ready"}')).not.toThrow();
      ScriptedSocket.last!.deliver('{"type": "avatar_start_talking"}');
      await sleep(0);
    } finally {
      globalThis.queueMicrotask = original;
    }
    expect(seen).toStrictEqual([true]);
    expect(thrown).toHaveLength(1);
  });

  it('a network failure of speak is an Error without the token', async () => {
    const { adapter } = await scripted();
    await expect(Promise.resolve(adapter.speak!('x'))).rejects.toThrow('HeyGen streaming.task failed: no network here');
    const leaky = createHeyGenAdapter({ WebSocket: ScriptedSocket, fetch: () => Promise.reject(new Error(`refused for ${session.accessToken}`)) });
    const connected = Promise.resolve(leaky.connect(session, recorder()));
    ScriptedSocket.last!.open();
    await connected;
    const error = await Promise.resolve(leaky.interrupt()).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toBe('HeyGen streaming.interrupt failed: refused for [redacted]');
  });

  it('speak and interrupt post HeyGen\'s bodies to apiBase with the access token as Bearer', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const adapter = createHeyGenAdapter({
      WebSocket: ScriptedSocket,
      apiBase: 'https://api.example/',
      fetch: async (url, init) => {
        calls.push({ url: String(url), init: init! });
        return new Response('{"code":100}', { status: 200 });
      },
    });
    const connected = Promise.resolve(adapter.connect(session, recorder()));
    ScriptedSocket.last!.open();
    await connected;
    await adapter.speak!('Hello');
    await adapter.interrupt();
    expect(calls.map((c) => [c.url, (c.init.headers as Record<string, string>).authorization, JSON.parse(c.init.body as string)])).toStrictEqual([
      ['https://api.example/v1/streaming.task', 'Bearer secret-token/+=', { session_id: 'sess 1', text: 'Hello', task_type: 'repeat', task_mode: 'async' }],
      ['https://api.example/v1/streaming.interrupt', 'Bearer secret-token/+=', { session_id: 'sess 1' }],
    ]);
  });
});

describe('agentc-realtime/heygen entry', () => {
  it('takes the browser WebSocket and the ws package as they are (a compile-time check)', () => {
    const options: HeyGenAdapterOptions[] = [{ WebSocket }, { WebSocket: globalThis.WebSocket }, { fetch: globalThis.fetch }];
    expect(options).toHaveLength(3);
  });


  it('exports exactly createHeyGenAdapter, and package.json maps ./heygen to the built files', () => {
    expect(Object.keys(entry).sort()).toStrictEqual(['createHeyGenAdapter']);
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./heygen']).toStrictEqual({ types: './dist/heygen.d.ts', default: './dist/heygen.js' });
  });

  it('the built entry imports by its package name in plain Node and pulls no package in', () => {
    const root = new URL('../../../', import.meta.url);
    const script = `
      const heygen = await import('agentc-realtime/heygen');
      console.log(JSON.stringify(Object.keys(heygen).sort()));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toStrictEqual(['createHeyGenAdapter']);
    const built = [readFileSync(new URL('dist/heygen.js', root), 'utf8'), readFileSync(new URL('dist/avatar/heygen.js', root), 'utf8'), readFileSync(new URL('dist/schema/redact.js', root), 'utf8')].join('\n');
    const specifiers = [...built.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(0); // the walk sees the imports
    expect(specifiers.filter((s) => !s.startsWith('.'))).toStrictEqual([]);
  });
});
