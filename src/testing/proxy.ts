/**
 * A loopback fault proxy for a server the test cannot control: the client's socket goes through it
 * (HTTP goes straight to the server), and {@link FaultProxy.dropSockets} kills the sockets on both
 * sides without a close frame, as a network loss would (the client sees 1006, the server a socket
 * that vanished). The upstream handshake is made before the client's is accepted, so a server that
 * refuses it (a bad token: HTTP 500) is seen by the client as the same refusal.
 *
 * Node only (`node:http`, `ws`).
 *
 * @module
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { WebSocketConstructor } from '../options.js';

/** A running fault proxy. */
export interface FaultProxy {
  /** `ws://127.0.0.1:<port>`: where the proxied sockets connect. */
  readonly origin: string;
  /**
   * A `WebSocket` constructor (the `ws` one) that connects through the proxy: it keeps the path
   * and query of the URL the client asks for and replaces its origin. Give it to `createClient`.
   */
  readonly WebSocket: WebSocketConstructor;
  /** The sockets open through the proxy now. */
  readonly open: number;
  /** Kills every proxied socket now, on both sides, without a close frame. Returns how many. */
  dropSockets(): number;
  /** Kills every socket and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: WebSocket;
  readonly server: WebSocket;
}

/** The `ws:`/`wss:` origin of an API base or socket URL (`http://h:8000/x` → `ws://h:8000`). */
function socketOrigin(url: string): string {
  const parsed = new URL(url);
  const protocol = parsed.protocol === 'https:' || parsed.protocol === 'wss:' ? 'wss:' : 'ws:';
  return `${protocol}//${parsed.host}`;
}

/** Closes `socket` with the code and reason of the other side, or kills it when the code cannot be sent. */
function closeLike(socket: WebSocket, code: number, reason: Buffer): void {
  const sendable = code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
  if (sendable && socket.readyState === WebSocket.OPEN) socket.close(code, reason);
  else socket.terminate();
}

/** Answers a client's upgrade request with a plain HTTP status (the server refused, or could not be reached). */
function refuse(socket: Duplex, status: number, text: string, body = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * Starts a fault proxy on 127.0.0.1 in front of the socket endpoint of `target` (an API base such as
 * `https://agentc.example.com` or a `ws(s)://` URL).
 */
export async function createFaultProxy(target: string): Promise<FaultProxy> {
  const upstreamOrigin = socketOrigin(target);
  const pairs = new Set<Pair>();
  const accepting = new WebSocketServer({ noServer: true });
  const http = createServer((_request, response) => {
    response.writeHead(404).end('The fault proxy carries WebSocket connections only.');
  });

  /** Client sockets whose upgrade waits for the server's handshake. */
  const waiting = new Set<Duplex>();
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    waiting.add(socket);
    let answered = false;
    const early: { data: RawData; binary: boolean }[] = [];
    const server = new WebSocket(`${upstreamOrigin}${request.url ?? '/'}`, { perMessageDeflate: false });
    // the client gave up before the server answered: so does the proxy
    socket.once('close', () => {
      waiting.delete(socket);
      if (!answered) server.terminate();
    });
    const onEarly = (data: RawData, binary: boolean) => early.push({ data, binary });
    server.on('message', onEarly);
    socket.on('error', () => server.terminate());
    server.once('unexpected-response', (_req, response) => {
      answered = true;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => refuse(socket, response.statusCode ?? 502, response.statusMessage ?? 'Refused', body));
      response.on('error', () => socket.destroy());
    });
    server.once('error', (error) => {
      // the server could not be reached (an error after the handshake is handled with the pair)
      if (!answered) {
        answered = true;
        if (!socket.destroyed && socket.writable) refuse(socket, 502, 'Bad Gateway', error.message);
        else socket.destroy();
      }
    });
    server.once('open', () => {
      answered = true;
      waiting.delete(socket);
      accepting.handleUpgrade(request, socket, head, (client) => {
        const pair: Pair = { client, server };
        pairs.add(pair);
        server.off('message', onEarly);
        for (const frame of early) client.send(frame.data, { binary: frame.binary });
        server.on('message', (data, binary) => {
          if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
        });
        client.on('message', (data, binary) => {
          if (server.readyState === WebSocket.OPEN) server.send(data, { binary });
        });
        server.on('close', (code, reason) => {
          pairs.delete(pair);
          closeLike(client, code, reason);
        });
        client.on('close', (code, reason) => {
          pairs.delete(pair);
          closeLike(server, code, reason);
        });
        server.on('error', () => client.terminate());
        client.on('error', () => server.terminate());
      });
    });
  });

  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const origin = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;

  class ProxiedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      const asked = new URL(String(url));
      super(`${origin}${asked.pathname}${asked.search}`, protocols);
    }
  }

  const dropSockets = (): number => {
    const dropped = [...pairs];
    pairs.clear();
    for (const pair of dropped) {
      pair.client.terminate();
      pair.server.terminate();
    }
    return dropped.length;
  };

  return {
    origin,
    WebSocket: ProxiedWebSocket as unknown as WebSocketConstructor,
    get open() {
      return pairs.size;
    },
    dropSockets,
    close: async () => {
      dropSockets();
      for (const socket of waiting) socket.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
