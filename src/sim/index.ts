/**
 * `agentc-realtime/sim`: a protocol-faithful Agent C Realtime server for demos, tests and your own
 * integration tests, with fault injection (Node only).
 *
 * @example
 * import { createSimulator } from 'agentc-realtime/sim';
 * const sim = await createSimulator({ deltaMs: 0 });
 * // … point a client at sim.httpUrl, log in as admin / changeme …
 * sim.control.dropSocket();   // simulate a network loss
 * await sim.close();
 *
 * @module
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { Bridge, type BridgeContext } from './bridge.js';
import { findAgent, sessionTools } from './catalog.js';
import { FakeHeyGen, STREAMING_CHAT_PATH } from './heygen.js';
import { handleHttp } from './http.js';
import { createRandom, slug } from './random.js';
import { matches, SimSocket, SocketFaults, type Recorder } from './socket.js';
import { Store, type UserRecord } from './store.js';
import type { Simulator, SimulatorControl, SimulatorOptions, SimulatorQuirks, SocketTarget, UiSessionInfo } from './types.js';

export type * from './types.js';

const DAY = 86_400_000;
const DEFAULT_SECRET = 'agentc-simulator-development-secret';
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Starts a simulated Agent C server on 127.0.0.1 (port 0 by default) and resolves once it listens. */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const profile = options.profile ?? 'agentc';
  if (profile !== 'agentc' && profile !== 'full') throw new TypeError(`Unknown simulator profile "${String(profile)}" (expected "agentc" or "full")`);
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const quirks: SimulatorQuirks = { reconnectOverLiveSocketMutes: true, ...options.quirks };
  const now = () => Date.now();
  const store = new Store(options.jwtSecret ?? DEFAULT_SECRET, options.tokenTtlMs ?? 8 * DAY, random, now, options.users ?? []);
  const bridges = new Map<string, Bridge>();
  const sockets = new Set<SimSocket>();
  const faults = new SocketFaults();
  const stalls = new Map<string, number>();
  const recorder: Recorder = { enabled: options.record ?? true, frames: [], startedAt: Date.now() };
  let refreshFailure: { status: number; detail: string } | undefined;
  let connections = 0;
  /** Until when the server is "starting" after a restart: connections are reset (§13 item 11). */
  let downUntil = 0;
  const slugOf = (words: number) => slug(random, words);
  /** The fake HeyGen, on the same port (`heygen.ts`). */
  const heygen = (options.heygen ?? true) ? new FakeHeyGen(slugOf, random) : null;

  const bridgeContext: BridgeContext = {
    store,
    profile,
    quirks,
    seed,
    deltaMs: options.deltaMs ?? 0,
    heygen,
    firehoseDeltas: options.firehoseDeltas ?? 1000,
    frames: options.frames ?? 'realistic',
    realisticTiming: options.realisticTiming ?? false,
    warm: false,
    random,
    slug: slugOf,
    now,
    stalls,
    broadcast(userId, event) {
      for (const bridge of bridges.values()) if (bridge.user.userId === userId) bridge.sendEvent(event);
    },
  };

  const server = createServer((req, res) => {
    handleHttp({ store, heygen, slug: bridgeContext.slug, now, bridges, refreshFailure: () => refreshFailure, realisticTiming: bridgeContext.realisticTiming }, req, res).catch(
      (error: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader('content-type', 'application/json');
        }
        res.end(JSON.stringify({ detail: `Internal Server Error: ${(error as Error).message}` }));
      },
    );
  });
  // while "starting" after a restart, every new connection is reset (§13 item 11)
  server.on('connection', (socket: Socket) => {
    if (Date.now() < downUntil) socket.destroy();
  });
  // uvicorn's cap: a client frame over 16 MiB closes the socket with 1009 (§13 item 14)
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });

  function refuseUpgrade(socket: Socket, status: number, detail?: string): void {
    const body = detail === undefined ? '' : JSON.stringify({ detail });
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Internal Server Error'}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  /** Resolves the UI session a handshake asks for (§1.2), or the HTTP status and detail that refuse it. */
  function resolveSession(url: URL, user: UserRecord): { bridge: Bridge; fresh: boolean } | { status: number; detail: string } {
    const uiSessionId = url.searchParams.get('ui_session_id');
    const existing = uiSessionId ? bridges.get(uiSessionId) : undefined;
    if (existing) {
      if (existing.user.userId !== user.userId) return { status: 500, detail: `Error creating session: UI session ${uiSessionId} belongs to another user` };
      return { bridge: existing, fresh: false };
    }
    const agentKey = url.searchParams.get('agent_key') ?? 'default';
    const agent = findAgent(agentKey);
    if (!agent) return { status: 500, detail: `Error creating session: Agent ${agentKey} not found.` };
    const chatSessionId = url.searchParams.get('chat_session_id');
    let chat = chatSessionId ? store.chatSessions.get(chatSessionId) : undefined;
    if (chat && chat.userId !== user.userId) return { status: 500, detail: `Error creating session: chat session ${chatSessionId} belongs to another user` };
    if (chat) {
      chat.agent = agent; // the loaded session's agent is replaced by agent_key ("default" if omitted) (§1.2)
      chat.tools = sessionTools(agent);
    } else {
      // the session made at connect has the agent's toolsets without BridgeTools (§13 item 3)
      chat = store.createChatSession(user.userId, agent, chatSessionId ?? undefined, [...agent.toolsets]);
    }
    const id = uiSessionId ?? store.uniqueId(`UI-${user.userId}`, (taken) => bridges.has(taken));
    const bridge = new Bridge(id, user, chat, bridgeContext);
    bridges.set(id, bridge);
    return { bridge, fresh: true };
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (heygen && url.pathname === STREAMING_CHAT_PATH) return heygen.handleUpgrade(req, socket, head, url);
    if (url.pathname !== '/api/rt/ws') return refuseUpgrade(socket, 404, 'Not Found');
    const token = url.searchParams.get('token');
    if (!token) return refuseUpgrade(socket, 403); // FastAPI closes with 1008 before accepting (§1.8)
    const verified = store.verifyToken(token);
    if (!('user' in verified)) return refuseUpgrade(socket, 500, verified.problem === 'expired' ? 'Token has expired' : 'Invalid token');
    const resolved = resolveSession(url, verified.user);
    if ('status' in resolved) return refuseUpgrade(socket, resolved.status, resolved.detail);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sim = new SimSocket(ws, ++connections, faults, recorder, random);
      sim.uiSessionId = resolved.bridge.uiSessionId;
      sockets.add(sim);
      sim.onFrame = (buffer, isBinary) => {
        sim.record('in', isBinary ? new Uint8Array(buffer) : buffer.toString('utf8'));
        const bridge = bridges.get(sim.uiSessionId!);
        if (bridge) bridge.receive(isBinary ? buffer : buffer.toString('utf8'), isBinary);
      };
      ws.on('message', (data, isBinary) => {
        sim.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer), isBinary);
      });
      ws.on('close', () => {
        sockets.delete(sim);
        bridges.get(sim.uiSessionId!)?.detach(sim);
      });
      ws.on('error', () => undefined);
      resolved.bridge.attach(sim, resolved.fresh);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  if (heygen) heygen.origin = `ws://${hostForUrl}:${port}`;

  const targeted = (target?: SocketTarget) => [...sockets].filter((s) => matches(target, s.uiSessionId));

  const control: SimulatorControl = {
    issueToken(username = 'admin', ttlMs) {
      const user = store.users.get(username);
      if (!user) throw new Error(`No simulator user "${username}"`);
      return store.issueToken(user, ttlMs);
    },
    expireTokens: () => store.expireAll(),
    revokeTokens: () => store.revokeAll(),
    setTokenTtl(ms) {
      store.tokenTtlMs = ms;
    },
    failRefresh(status = 401, detail = status === 401 ? 'Invalid token' : 'Internal Server Error') {
      refreshFailure = status === false ? undefined : { status, detail };
    },
    dropSocket(target) {
      const victims = targeted(target);
      for (const socket of victims) socket.drop();
      return victims.length;
    },
    dropAfterFrames(n, target = {}) {
      faults.dropAfter.push({ remaining: n, target });
    },
    dropAtEvent(type, target = {}) {
      faults.dropAt.push({ type, target });
    },
    halfOpen(on = true, target) {
      for (const socket of targeted(target)) socket.halfOpen = on;
    },
    setLatency(ms, jitterMs = 0) {
      faults.latencyMs = ms;
      faults.jitterMs = jitterMs;
    },
    sendMalformed(data = '{"type": "text_delta", "content": ', target) {
      for (const socket of targeted(target)) socket.sendRaw(data);
    },
    stall(type, ms) {
      if (ms > 0) stalls.set(type, ms);
      else stalls.delete(type);
    },
    restart({ downMs = 0 } = {}) {
      for (const socket of sockets) socket.close(1012, 'Service Restart');
      for (const bridge of bridges.values()) bridge.shutdown();
      bridges.clear();
      if (downMs > 0) {
        downUntil = Date.now() + downMs;
        server.closeIdleConnections(); // kept-alive HTTP connections go too, as with a stopped process
      }
    },
    clearFaults() {
      downUntil = 0;
      faults.clear();
      stalls.clear();
      refreshFailure = undefined;
      for (const socket of sockets) socket.halfOpen = false;
    },
    get frames() {
      return recorder.frames;
    },
    clearFrames() {
      recorder.frames.length = 0;
    },
    uiSessions(): UiSessionInfo[] {
      return [...bridges.values()].map((bridge) => ({
        uiSessionId: bridge.uiSessionId,
        userId: bridge.user.userId,
        chatSessionId: bridge.chat.sessionId,
        connected: bridge.socket?.isOpen ?? false,
        interactionRunning: bridge.interactionRunning,
        audioIn: {
          frames: bridge.audioIn.frames,
          samples: bridge.audioIn.samples,
          rms: bridge.audioIn.samples > 0 ? Math.sqrt(bridge.audioIn.sumSquares / bridge.audioIn.samples) : 0,
          zeroCrossings: bridge.audioIn.zeroCrossings,
        },
      }));
    },
    heygenSessions: () => heygen?.list() ?? [],
  };

  let closing: Promise<void> | undefined;
  /** Like a server shutdown: 1012 to every socket, a short grace period, then whatever is left is cut. */
  const close = () =>
    (closing ??= (async () => {
      const heygenClosed = heygen?.close();
      for (const bridge of bridges.values()) bridge.shutdown();
      for (const socket of sockets) socket.close(1012, 'Service Restart');
      const deadline = Date.now() + 500;
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      for (const socket of sockets) socket.drop();
      await heygenClosed;
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })());

  return {
    httpUrl: `http://${hostForUrl}:${port}`,
    wsUrl: `ws://${hostForUrl}:${port}/api/rt/ws`,
    port,
    control,
    close,
    [Symbol.asyncDispose]: close,
  };
}
