/**
 * Runs in Node before the browser tests:
 *
 * - a real `ws` server on 127.0.0.1 that streams every server fixture to whoever connects to
 *   /fixtures, then a binary PCM16 frame, then closes (codec.test.ts);
 * - the simulator (`createSimulator`), whose API base is provided as `simHttpUrl` (client.test.ts);
 * - a tiny control endpoint on 127.0.0.1 (provided as `simControlUrl`) through which a browser test
 *   injects faults into that simulator: `POST /drop`, `POST /malformed`, `POST /restart`, and
 *   `GET /sessions` to look at the UI sessions the simulator holds. `/drop` and `/malformed` accept
 *   an optional JSON body `{ "uiSessionId": "…" }` to target one UI session (default: all of them).
 *   Every answer allows any origin (CORS), and OPTIONS preflights are answered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { WebSocketServer } from 'ws';
import { createSimulator, type SocketTarget } from '../../src/sim/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    wsPort: number;
    fixtureTypes: string[];
    /** The simulator's API base, e.g. `http://127.0.0.1:41234`. */
    simHttpUrl: string;
    /** The fault-injection endpoint, e.g. `http://127.0.0.1:41235` (POST /drop, /malformed, /restart; GET /sessions). */
    simControlUrl: string;
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

  // ------------------------------------------------------------------ simulator (client.test.ts)
  const sim = await createSimulator({ deltaMs: 0 });

  const control = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://control').pathname;
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
      return answer(res, 204);
    }
    const handle = async (): Promise<void> => {
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
  project.provide('simHttpUrl', sim.httpUrl);
  project.provide('simControlUrl', `http://127.0.0.1:${(control.address() as AddressInfo).port}`);

  return async () => {
    await new Promise<void>((resolve) => {
      control.close(() => resolve());
      control.closeAllConnections();
    });
    await sim.close();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
