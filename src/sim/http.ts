/**
 * The HTTP routes under `/api/rt` (docs/protocol.md §2), FastAPI-shaped: JSON bodies, `{detail}` errors,
 * Bearer auth. With HeyGen, the fake HeyGen's routes under `/v1/` too (`heygen.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bridge } from './bridge.js';
import type { FakeHeyGen } from './heygen.js';
import type { Store, UserRecord } from './store.js';

/** What the routes need from the simulator. */
export interface HttpContext {
  readonly store: Store;
  /** The fake HeyGen, when the simulator has HeyGen. */
  readonly heygen: FakeHeyGen | null;
  readonly slug: (words: number) => string;
  readonly now: () => number;
  readonly bridges: ReadonlyMap<string, Bridge>;
  /** The refresh-failure fault, when armed. */
  readonly refreshFailure: () => { status: number; detail: string } | undefined;
  /** The real server's handler latencies (§13 item 9): a login hashes the password. */
  readonly realisticTiming: boolean;
}

/** How long the real login takes (bcrypt), with realistic timing. */
const LOGIN_MS = 200;

const MAX_BODY = 64 * 1024 * 1024;
const MIME: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html', json: 'application/json',
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  wav: 'audio/x-wav', mp3: 'audio/mpeg', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** Origins the real server allows, plus any loopback origin (so browser tests and demos on any port work). */
function allowedOrigin(origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  try {
    const { hostname, protocol } = new URL(origin);
    if ((protocol === 'http:' || protocol === 'https:') && (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === 'agentc.local' || hostname === '[::1]')) return origin;
  } catch {
    // not a URL
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** The request's body, or undefined when it is larger than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function bearer(req: IncomingMessage, store: Store): { user: UserRecord } | { status: number; detail: string } {
  const header = req.headers.authorization;
  if (!header || !/^Bearer\s+\S+/i.test(header)) return { status: 401, detail: 'Missing authorization' };
  const result = store.verifyToken(header.replace(/^Bearer\s+/i, '').trim());
  return 'user' in result ? result : { status: 401, detail: 'Invalid token' };
}

function missing(loc: string[], input: unknown = null) {
  return { type: 'missing', loc, msg: 'Field required', input };
}

/** Handles one HTTP request. */
export async function handleHttp(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = allowedOrigin(req.headers.origin);
  if (origin) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  }
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (req.method === 'OPTIONS' && origin) {
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS, PATCH');
    res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
    res.statusCode = 200;
    res.end();
    return;
  }
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'POST /api/rt/login':
      return login(ctx, req, res);
    case 'GET /api/rt/refresh_token':
      return refresh(ctx, req, res);
    case 'POST /api/rt/upload_file':
      return upload(ctx, req, res);
    case 'POST /api/rt/cancel':
      return cancel(ctx, req, res);
    default:
      if (req.method === 'GET' && url.pathname.startsWith('/api/rt/file/')) {
        // broken in the real server: the workspace map is not initialised (§2.7)
        return send(res, 500, { detail: "Error getting file: 'NoneType' object has no attribute 'get'" });
      }
      if (ctx.heygen && url.pathname.startsWith('/v1/')) return ctx.heygen.handleHttp(req, res, url.pathname);
      return send(res, 404, { detail: 'Not Found' });
  }
}

async function login(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(body?.toString('utf8') ?? '');
  } catch {
    return send(res, 422, { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }] });
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const problems: unknown[] = [];
  const checkLength = (field: 'username' | 'password', min: number, max: number) => {
    const text = record[field];
    if (text === undefined) problems.push(missing(['body', field], value));
    else if (typeof text !== 'string') problems.push({ type: 'string_type', loc: ['body', field], msg: 'Input should be a valid string', input: text });
    else if (text.length < min) problems.push({ type: 'string_too_short', loc: ['body', field], msg: `String should have at least ${min} characters`, input: text, ctx: { min_length: min } });
    else if (text.length > max) problems.push({ type: 'string_too_long', loc: ['body', field], msg: `String should have at most ${max} characters`, input: text, ctx: { max_length: max } });
  };
  checkLength('username', 3, 50);
  checkLength('password', 6, 100);
  if (problems.length > 0) return send(res, 422, { detail: problems });
  if (ctx.realisticTiming) await new Promise((resolve) => setTimeout(resolve, LOGIN_MS));
  const user = ctx.store.users.get(record.username as string);
  if (!user || user.password !== record.password || !user.isActive) return send(res, 401, { detail: 'Invalid credentials' });
  // `last_login` stays null: the server updates a detached copy of the user that is never saved (§13 item 5)
  const token = ctx.store.issueToken(user);
  send(res, 200, { agent_c_token: token, heygen_token: heygenToken(ctx), ui_session_id: `${user.userId}-${ctx.slug(2)}` });
}

function heygenToken(ctx: HttpContext): string {
  return ctx.heygen ? ctx.heygen.issueKey() : 'None';
}

async function refresh(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = bearer(req, ctx.store);
  if ('status' in auth) return send(res, auth.status, { detail: auth.detail });
  if (!auth.user.isActive) return send(res, 401, { detail: 'User not found or inactive' });
  const failure = ctx.refreshFailure();
  if (failure) return send(res, failure.status, { detail: failure.detail });
  send(res, 200, { agent_c_token: ctx.store.issueToken(auth.user), heygen_token: heygenToken(ctx) });
}

async function formOf(req: IncomingMessage): Promise<FormData | undefined> {
  const body = await readBody(req);
  if (!body) return undefined;
  try {
    return await new Request('http://simulator/form', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: new Uint8Array(body),
    }).formData();
  } catch {
    return undefined;
  }
}

async function upload(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = bearer(req, ctx.store);
  if ('status' in auth) return send(res, auth.status, { detail: auth.detail });
  const form = await formOf(req);
  const uiSessionId = form?.get('ui_session_id');
  const file = form?.get('file');
  const problems: unknown[] = [];
  if (typeof uiSessionId !== 'string') problems.push(missing(['body', 'ui_session_id']));
  if (!file || typeof file === 'string') problems.push(missing(['body', 'file']));
  if (problems.length > 0) return send(res, 422, { detail: problems });
  const bridge = ctx.bridges.get(uiSessionId as string);
  if (!bridge) return send(res, 404, { detail: 'Session not found' }); // ownership is not checked (§2.5)
  const blob = file as File;
  const name = blob.name || 'upload';
  const extension = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
  const mimeType = MIME[extension] ?? 'application/octet-stream';
  const stamp = new Date(ctx.now());
  const pad = (n: number) => String(n).padStart(2, '0');
  const id = `${stamp.getFullYear()}${pad(stamp.getMonth() + 1)}${pad(stamp.getDate())}${pad(stamp.getHours())}${pad(stamp.getMinutes())}${pad(stamp.getSeconds())}_${name}`;
  const bytes = Buffer.from(await blob.arrayBuffer());
  const text = mimeType.startsWith('text/') || mimeType === 'application/json' ? bytes.toString('utf8').slice(0, 4000) : null;
  await bridge.addUpload(id, name, mimeType, bytes.length, text); // both metadata events go out before the reply (§13 item 4)
  send(res, 200, { id, filename: name, mime_type: mimeType, size: bytes.length });
}

async function cancel(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = bearer(req, ctx.store);
  if ('status' in auth) return send(res, auth.status, { detail: auth.detail });
  const form = await formOf(req);
  const uiSessionId = form?.get('ui_session_id');
  if (typeof uiSessionId !== 'string') return send(res, 422, { detail: [missing(['body', 'ui_session_id'])] });
  const bridge = ctx.bridges.get(uiSessionId);
  if (!bridge || bridge.user.userId !== auth.user.userId) return send(res, 404, { detail: 'Session not found' });
  bridge.cancel();
  send(res, 200, { status: 'success', message: `Cancellation signal sent for session: ${uiSessionId}` });
}
