/**
 * Runs in Node before the browser tests:
 *
 * - a real `ws` server on 127.0.0.1 that streams every server fixture to whoever connects to
 *   /fixtures, then a binary PCM16 frame, then closes (codec.test.ts);
 * - three simulators (`createSimulator`), so that a fault one test file injects never reaches
 *   another file's clients (browser test files may run at the same time):
 *   - `main` (`deltaMs: 0`), API base provided as `simHttpUrl` (client.test.ts);
 *   - `faults` (`deltaMs: 0`), provided as `simFaultsHttpUrl` (client-faults.test.ts: faults armed
 *     before a UI session exists, a refresh failure, tokens);
 *   - `paced` (`deltaMs: 5`, streamed deltas are paced), provided as `simPacedHttpUrl`
 *     (client-faults.test.ts: a drop while an answer streams);
 *   - `voice` (the `full` profile: microphone audio in, speech out; `deltaMs: 20`), provided as
 *     `simVoiceHttpUrl`, and `voiceAgentc` (the real server's profile), as `simVoiceAgentcHttpUrl`
 *     (voice.test.ts); `GET /sessions` reports each UI session's `audioIn` (frames, samples, RMS,
 *     zero crossings of the microphone audio received);
 * - a tiny control endpoint on 127.0.0.1 (provided as `simControlUrl`) through which a browser test
 *   injects faults into a simulator. The query parameter `?sim=main|faults|paced` picks the simulator
 *   (default `main`). Routes:
 *   - `GET /sessions`: the UI sessions the simulator holds;
 *   - `POST /drop`, `POST /malformed` (body `data`: the text to send), `POST /restart`;
 *   - `POST /drop-at-event` (body `type`): kill the socket about to send the next event of that type
 *     (armed until it fires, so it also applies to a socket that connects later);
 *   - `POST /half-open` (body `on`, default true): the socket stays open but nothing is read or sent;
 *   - `POST /token?ttl=MS&user=NAME` → `{ token }`: a token issued by the simulator (default user `admin`);
 *   - `POST /fail-refresh?status=401` (`status=off` restores it): `refresh_token` fails with that status;
 *   - `POST /revoke-tokens`: every token issued so far becomes invalid (a rotated secret): the
 *     handshake refuses it with HTTP 500 and `refresh_token` answers 401;
 *   - `POST /clear-faults`: undo every fault (half-open, pending drops, refresh failure, …).
 *   `/drop`, `/malformed`, `/drop-at-event` and `/half-open` accept `"uiSessionId": "…"` in their JSON
 *   body to target one UI session (default: all of them). Every answer allows any origin (CORS), and
 *   OPTIONS preflights are answered.
 * - the local viewer (`startViewer`), its page provided as `viewerUrl` and its inspector endpoint as
 *   `viewerWsUrl` (inspector.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { WebSocketServer } from 'ws';
import { startViewer } from '../../src/inspect/viewer.js';
import { createSimulator, type Simulator, type SocketTarget } from '../../src/sim/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    wsPort: number;
    fixtureTypes: string[];
    /** The simulator's API base, e.g. `http://127.0.0.1:41234`. */
    simHttpUrl: string;
    /** The API base of the `faults` simulator (`deltaMs: 0`; only client-faults.test.ts uses it). */
    simFaultsHttpUrl: string;
    /** The API base of the `paced` simulator (`deltaMs: 5`; only client-faults.test.ts uses it). */
    simPacedHttpUrl: string;
    simVoiceHttpUrl: string;
    simVoiceAgentcHttpUrl: string;
    /**
     * The fault-injection endpoint, e.g. `http://127.0.0.1:41235`; `?sim=main|faults|paced` picks the
     * simulator (see the routes at the top of global-setup.ts).
     */
    simControlUrl: string;
    /** The local viewer's page (`startViewer().url`; inspector.test.ts). */
    viewerUrl: string;
    /** Where `connectInspector` sends records (`startViewer().wsUrl`). */
    viewerWsUrl: string;
  }
}

/** PCM16 samples sent as the binary frame (the test expects exactly these). */
const PCM_SAMPLES = [0, 1, -1, 32767, -32768, 1234];

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-max-age': '600',
};

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function answer(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, { ...CORS_HEADERS, ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** The simulators, by the name the control endpoint's `?sim=` takes. */
const SIM_NAMES = ['main', 'faults', 'paced', 'voice', 'voiceAgentc'] as const;
type SimName = (typeof SIM_NAMES)[number];

function targetOf(body: Record<string, unknown>): SocketTarget | undefined {
  const id = body.uiSessionId;
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || id === '') throw new Error('uiSessionId must be a non-empty string');
  return { uiSessionId: id };
}

export default async function setup(project: TestProject) {
  // ------------------------------------------------------------------ fixtures (codec.test.ts)
  const frames: { type: string; text: string }[] = [];
  for (const group of ['server', 'server-legacy']) {
    const dir = fileURLToPath(new URL(`../fixtures/${group}/`, import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      frames.push({ type: file.slice(0, -5).split('--')[0]!, text: readFileSync(dir + file, 'utf8') });
    }
  }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket, request) => {
    if (request.url !== '/fixtures') return socket.close(1008, 'unknown path');
    for (const frame of frames) socket.send(frame.text);
    socket.send(Buffer.from(new Int16Array(PCM_SAMPLES).buffer), { binary: true });
    socket.send('{"type":"text_delta","content":');
    socket.close(1000, 'done');
  });
  project.provide('wsPort', (wss.address() as AddressInfo).port);
  project.provide('fixtureTypes', frames.map((f) => f.type));

  // ------------------------------------------------------------------ simulators
  const sims: Record<SimName, Simulator> = {
    main: await createSimulator({ deltaMs: 0 }), // client.test.ts
    faults: await createSimulator({ deltaMs: 0 }), // client-faults.test.ts
    paced: await createSimulator({ deltaMs: 5 }), // client-faults.test.ts: an answer that takes a while
    voice: await createSimulator({ profile: 'full', deltaMs: 20 }), // voice.test.ts: speech in and out
    voiceAgentc: await createSimulator({ deltaMs: 0 }), // voice.test.ts: the real server's profile (no voice pipeline)
  };

  const control = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const path = url.pathname;
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
      return answer(res, 204);
    }
    const handle = async (): Promise<void> => {
      const name = url.searchParams.get('sim') ?? 'main';
      if (!(SIM_NAMES as readonly string[]).includes(name)) return answer(res, 400, { error: `unknown simulator "${name}" (one of ${SIM_NAMES.join(', ')})` });
      const sim = sims[name as SimName];
      if (req.method === 'GET' && path === '/sessions') return answer(res, 200, { sessions: sim.control.uiSessions() });
      if (req.method !== 'POST') return answer(res, 405, { error: `${req.method} ${path} is not supported` });
      const body = await readJson(req);
      switch (path) {
        case '/drop':
          return answer(res, 200, { dropped: sim.control.dropSocket(targetOf(body)) });
        case '/malformed': {
          const data = body.data;
          if (data !== undefined && typeof data !== 'string') throw new Error('data must be a string');
          sim.control.sendMalformed(data, targetOf(body));
          return answer(res, 200, { sent: true });
        }
        case '/restart':
          sim.control.restart();
          return answer(res, 200, { restarted: true });
        case '/drop-at-event': {
          const type = body.type;
          if (typeof type !== 'string' || type === '') throw new Error('type must be a non-empty string (a server event type)');
          sim.control.dropAtEvent(type, targetOf(body));
          return answer(res, 200, { armed: type });
        }
        case '/half-open': {
          const on = body.on ?? true;
          if (typeof on !== 'boolean') throw new Error('on must be a boolean');
          sim.control.halfOpen(on, targetOf(body));
          return answer(res, 200, { halfOpen: on });
        }
        case '/token': {
          const ttlText = url.searchParams.get('ttl');
          const ttl = ttlText === null ? undefined : Number(ttlText);
          if (ttl !== undefined && !(Number.isFinite(ttl) && ttl > 0)) throw new Error('ttl must be a positive number of milliseconds');
          return answer(res, 200, { token: sim.control.issueToken(url.searchParams.get('user') ?? 'admin', ttl) });
        }
        case '/fail-refresh': {
          const statusText = url.searchParams.get('status') ?? '401';
          if (statusText === 'off') {
            sim.control.failRefresh(false);
            return answer(res, 200, { failRefresh: false });
          }
          const status = Number(statusText);
          if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error('status must be an HTTP error status (400–599) or "off"');
          const detail = url.searchParams.get('detail') ?? undefined;
          sim.control.failRefresh(status, detail);
          return answer(res, 200, { failRefresh: status });
        }
        case '/revoke-tokens':
          sim.control.revokeTokens();
          return answer(res, 200, { revoked: true });
        case '/clear-faults':
          sim.control.clearFaults();
          return answer(res, 200, { cleared: true });
        default:
          return answer(res, 404, { error: `no route ${path}` });
      }
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) answer(res, 400, { error: error instanceof Error ? error.message : String(error) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, '127.0.0.1', () => {
      control.off('error', reject);
      resolve();
    });
  });
  project.provide('simHttpUrl', sims.main.httpUrl);
  project.provide('simFaultsHttpUrl', sims.faults.httpUrl);
  project.provide('simPacedHttpUrl', sims.paced.httpUrl);
  project.provide('simVoiceHttpUrl', sims.voice.httpUrl);
  project.provide('simVoiceAgentcHttpUrl', sims.voiceAgentc.httpUrl);
  project.provide('simControlUrl', `http://127.0.0.1:${(control.address() as AddressInfo).port}`);

  // ------------------------------------------------------------------ the local viewer (inspector.test.ts)
  const viewer = await startViewer();
  project.provide('viewerUrl', viewer.url);
  project.provide('viewerWsUrl', viewer.wsUrl);

  return async () => {
    await new Promise<void>((resolve) => {
      control.close(() => resolve());
      control.closeAllConnections();
    });
    await Promise.all([...Object.values(sims).map((sim) => sim.close()), viewer.close()]);
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
