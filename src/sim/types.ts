/**
 * Public types of the simulator (`agentc-realtime/sim`).
 */

/** Which server to imitate. */
export type SimulatorProfile =
  /** What the real Agent C server does, quirks included: no voice, no audio output. */
  | 'agentc'
  /** The same, plus what the seeds describe and the server lacks: voice input and TTS audio out. */
  | 'full';

/**
 * How big the frames with catalogues and prompts are: `realistic` at the real server's sizes (an
 * init burst of ~216 KB, ~75 KB of `system_prompt` and `completion` per turn, docs/protocol.md §13
 * item 6), `compact` with only the simulator's own agents and toolsets and short prompts (quicker
 * for unit tests that connect often).
 */
export type SimulatorFrames = 'realistic' | 'compact';

/** Known server bugs a faithful simulator reproduces; each can be switched off. */
export interface SimulatorQuirks {
  /**
   * A reconnect while the UI session's previous socket is still attached closes the old socket and
   * then silently mutes the new one: it gets the short burst, then nothing (docs/protocol.md §1.9).
   * @default true
   */
  readonly reconnectOverLiveSocketMutes: boolean;
}

/** Options of {@link createSimulator}. */
export interface SimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'agentc' */
  readonly profile?: SimulatorProfile;
  /** Seed of every random choice (ids, scripted text), so runs are reproducible. @default 1 */
  readonly seed?: number;
  /** Lifetime of issued tokens in milliseconds. @default 8 days */
  readonly tokenTtlMs?: number;
  /** Pause between streamed deltas in milliseconds; 0 streams as fast as the socket takes them. @default 0 */
  readonly deltaMs?: number;
  /**
   * Whether a (fake) HeyGen account is configured: avatars listed, `set_avatar` works, and the
   * simulator also serves a fake of HeyGen's streaming API (`POST /v1/streaming.*` and the
   * `/v1/ws/streaming.chat` socket; see `src/sim/heygen.ts`), which the login's `heygen_token` and
   * `set_avatar`'s `avatar_session` work with. @default true
   */
  readonly heygen?: boolean;
  /** Number of `text_delta` frames the `firehose` agent streams when the message names no number. @default 1000 */
  readonly firehoseDeltas?: number;
  /** @default 'realistic' */
  readonly frames?: SimulatorFrames;
  /**
   * The real server's handler latencies: login ~200 ms (password hashing), `get_agents` ~500 ms,
   * `text_input` → the user message ~75 ms for the first interaction after start, ~5 ms later (docs/protocol.md §13 item 9). Handlers run inline, so later
   * frames of the socket wait too. @default false
   */
  readonly realisticTiming?: boolean;
  /** Switch individual server bugs off. */
  readonly quirks?: Partial<SimulatorQuirks>;
  /** Secret the HS256 tokens are signed with. @default a fixed development secret */
  readonly jwtSecret?: string;
  /** Record every frame both ways in `control.frames` (turn off for long benchmarks). @default true */
  readonly record?: boolean;
  /** Extra accounts besides the development account `admin` / `changeme`. */
  readonly users?: readonly SimulatorUser[];
}

/** An account the simulator accepts. */
export interface SimulatorUser {
  readonly username: string;
  readonly password: string;
  /** @default the username */
  readonly userId?: string;
  /** @default null */
  readonly firstName?: string;
  /** @default null */
  readonly lastName?: string;
  /** Inactive users cannot log in or refresh. @default true */
  readonly isActive?: boolean;
}

/** Which UI sessions a fault applies to; by default all of them. */
export interface SocketTarget {
  readonly uiSessionId?: string;
}

/** One frame on a simulator socket. */
export interface RecordedFrame {
  /** Milliseconds since the simulator started. */
  readonly at: number;
  /** `in`: client → server; `out`: server → client. */
  readonly direction: 'in' | 'out';
  /** The UI session the socket belongs to (`null` before the handshake resolved it). */
  readonly uiSessionId: string | null;
  /** Sequence number of the socket connection (1 for the first socket the simulator accepted). */
  readonly connection: number;
  readonly kind: 'text' | 'binary';
  /** The frame text (text frames only). */
  readonly text?: string;
  /** Byte length (binary frames only). */
  readonly bytes?: number;
}

/** A UI session as the simulator holds it. */
export interface UiSessionInfo {
  readonly uiSessionId: string;
  readonly userId: string;
  readonly chatSessionId: string;
  readonly connected: boolean;
  readonly interactionRunning: boolean;
  /**
   * The microphone audio the client sent (binary frames, PCM16 at 24 kHz): frame and sample counts,
   * RMS as a fraction of full scale, and zero crossings (a tone of f Hz crosses 2·f times a second).
   */
  readonly audioIn: { readonly frames: number; readonly samples: number; readonly rms: number; readonly zeroCrossings: number };
}

/** A session of the fake HeyGen (`control.heygenSessions()`). */
export interface HeyGenSessionInfo {
  readonly sessionId: string;
  /** At least one streaming socket (`/v1/ws/streaming.chat`) is open. */
  readonly connected: boolean;
  /** The avatar is talking (between `avatar_start_talking` and `avatar_stop_talking`). */
  readonly talking: boolean;
  /** Every text a `streaming.task` asked it to say, in order (`set_avatar_session`'s greeting too). */
  readonly said: readonly string[];
}

/** Fault injection and inspection. */
export interface SimulatorControl {
  /** A valid token for a user (default `admin`), without going through HTTP. */
  issueToken(username?: string, ttlMs?: number): string;
  /**
   * Every token issued so far expires by its own `exp`: the simulator's token clock moves past the
   * latest `exp`, so the handshake refuses them ("Token has expired", HTTP 500) and `refresh_token`
   * answers 401 "Invalid token" (an expired token cannot be refreshed: log in again). Tokens issued
   * afterwards count from the moved clock and are valid.
   */
  expireTokens(): void;
  /** Every token issued so far becomes invalid ("Invalid token"), as after a revocation or a rotated secret. */
  revokeTokens(): void;
  /** Lifetime of tokens issued from now on. */
  setTokenTtl(ms: number): void;
  /** Make `refresh_token` fail with this status and detail; `false` to restore it. */
  failRefresh(status?: number | false, detail?: string): void;

  /** Kill the targeted sockets now, as a network loss would (no close frame: code 1006). Returns how many. */
  dropSocket(target?: SocketTarget): number;
  /**
   * Kill a targeted socket once `n` more frames have been sent to it: armed until it fires, so it
   * also applies to a socket that connects later (e.g. to drop during the initialization burst).
   */
  dropAfterFrames(n: number, target?: SocketTarget): void;
  /** Kill the targeted socket that is about to send the next event of this `type` (armed until it fires). */
  dropAtEvent(type: string, target?: SocketTarget): void;
  /** Half-open: the targeted sockets stay open but nothing is read or sent any more (`false` heals them). */
  halfOpen(on?: boolean, target?: SocketTarget): void;
  /** Delay every frame the simulator sends by `ms` (± `jitterMs`), keeping their order. */
  setLatency(ms: number, jitterMs?: number): void;
  /** Send a frame the protocol does not allow (default: text that is not JSON). */
  sendMalformed(data?: string | Uint8Array, target?: SocketTarget): void;
  /** Make the handler of this client event type take `ms` longer (it runs inline, so later frames wait). */
  stall(type: string, ms: number): void;
  /**
   * Like a server restart: every socket is closed (1012) and every UI session forgotten; chat
   * sessions persist. With `downMs` the server is down that long after (the real one takes 7-25 s
   * to start, docs/protocol.md §13 item 11): every new connection, HTTP or WebSocket, is reset at once.
   */
  restart(options?: { readonly downMs?: number }): void;
  /** Undo every fault (latency, stalls, half-open, pending drops, refresh failure). */
  clearFaults(): void;

  /** Every frame both ways, in order. */
  readonly frames: readonly RecordedFrame[];
  /** Forget the recorded frames. */
  clearFrames(): void;
  /** The UI sessions the simulator holds. */
  uiSessions(): UiSessionInfo[];
  /** The sessions of the fake HeyGen that are alive (made and not stopped); `[]` without HeyGen. */
  heygenSessions(): HeyGenSessionInfo[];
}

/** A running simulator. */
export interface Simulator {
  /** API base, e.g. `http://127.0.0.1:8000` (routes are under `/api/rt`). */
  readonly httpUrl: string;
  /** The socket endpoint, e.g. `ws://127.0.0.1:8000/api/rt/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly control: SimulatorControl;
  /** Closes every socket and the server. */
  close(): Promise<void>;
  /** The same as `close()`, for `await using sim = await createSimulator()`. */
  [Symbol.asyncDispose](): Promise<void>;
}
