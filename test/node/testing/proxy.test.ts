/**
 * The loopback fault proxy of the testing entry, in front of a real simulator: frames pass both
 * ways, a refused handshake reaches the client as the same HTTP refusal, and `dropSockets()` kills
 * the socket on both sides without a close frame (the client sees 1006, the server loses it).
 */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFaultProxy, type FaultProxy } from '../../../src/testing/index.js';
import { cleanup, startSim, until } from '../integration/harness.js';

const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await cleanup();
});

async function proxyFor(url: string): Promise<FaultProxy> {
  const proxy = await createFaultProxy(url);
  proxies.push(proxy);
  return proxy;
}

/** The HTTP status a handshake is refused with (through `Socket`), or `open`. */
function handshake(Socket: new (url: string) => WebSocket, url: string): Promise<{ status: number | 'open'; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new Socket(url);
    socket.once('open', () => {
      socket.terminate();
      resolve({ status: 'open', body: '' });
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe('createFaultProxy', () => {
  it('carries a session both ways, and dropSockets() kills it on both sides without a close frame', async () => {
    const sim = await startSim();
    const proxy = await proxyFor(sim.httpUrl);
    expect(proxy.origin).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const Proxied = proxy.WebSocket as unknown as new (url: string) => WebSocket;
    const socket = new Proxied(`${sim.wsUrl}?token=${sim.control.issueToken()}`);
    const types: string[] = [];
    socket.on('message', (data) => types.push((JSON.parse(String(data)) as { type: string }).type));
    await once(socket, 'open');
    // the simulator's burst came through the proxy, and a request gets its answer back
    await until(() => types.includes('user_turn_start'), 3000, 'the init burst through the proxy');
    socket.send(JSON.stringify({ type: 'ping' }));
    await until(() => types.includes('pong'), 3000, 'the pong through the proxy');
    expect(proxy.open).toBe(1);
    expect(sim.control.uiSessions().map((session) => session.connected)).toEqual([true]);

    const closed = once(socket, 'close');
    expect(proxy.dropSockets()).toBe(1);
    const [code] = (await closed) as [number];
    expect(code).toBe(1006);
    expect(proxy.open).toBe(0);
    await until(() => sim.control.uiSessions()[0]?.connected === false, 3000, 'the simulator to lose the socket');
    // the simulator saw no close frame from the client side
    expect(sim.control.frames.filter((frame) => frame.direction === 'in').map((frame) => frame.text)).toEqual([JSON.stringify({ type: 'ping' })]);
  });

  it("passes a refused handshake on as the server's own refusal", async () => {
    const sim = await startSim();
    const proxy = await proxyFor(sim.httpUrl);
    const Proxied = proxy.WebSocket as unknown as new (url: string) => WebSocket;
    const token = sim.control.issueToken();
    sim.control.revokeTokens();
    const direct = await handshake(WebSocket, `${sim.wsUrl}?token=${token}`);
    const proxied = await handshake(Proxied, `${sim.wsUrl}?token=${token}`);
    expect(direct.status).toBe(500);
    expect(proxied).toEqual(direct);
    // and an accepted one opens
    expect((await handshake(Proxied, `${sim.wsUrl}?token=${sim.control.issueToken()}`)).status).toBe('open');
  });

  it('answers 502 when the server cannot be reached', async () => {
    // a port that was free a moment ago
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const proxy = await proxyFor(`http://127.0.0.1:${port}`);
    const Proxied = proxy.WebSocket as unknown as new (url: string) => WebSocket;
    const refused = await handshake(Proxied, `ws://127.0.0.1:${port}/api/rt/ws?token=x`);
    expect(refused.status).toBe(502);
    expect(refused.body).toMatch(/ECONNREFUSED/);
  });
});
