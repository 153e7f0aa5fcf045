/**
 * The avatar adapter: how the core hands an avatar session to whatever renders the avatar (HeyGen's
 * streaming SDK, the HeyGen adapter of `agentc-realtime/heygen`, anything else), and hears back when
 * the stream is ready and when the avatar talks. The core depends on this interface only.
 */

/** An avatar session, from `avatar_connection_changed` (the server made it) or `setAvatarSession` (the app did). */
export interface AvatarSessionInfo {
  /** HeyGen's session id. */
  readonly sessionId: string;
  /** The session's access token (a secret: never logged, redacted from inspection). */
  readonly accessToken: string;
  /** HeyGen's `url` for the session (a LiveKit / streaming host), when the server made it. */
  readonly url: string | null;
  /** HeyGen's `realtime_endpoint`, when the server made it. */
  readonly realtimeEndpoint: string | null;
}

/** What an adapter reports. */
export interface AvatarAdapterEvents {
  /** The avatar's stream is ready (video can be shown, speech will be heard). */
  ready(): void;
  /** The avatar started (`true`) or stopped (`false`) talking. */
  speaking(talking: boolean): void;
  /** The stream ended by itself (the session expired, the network failed); `reason` in words. */
  closed(reason: string): void;
}

/** What the core asks of an adapter. Every method may be async; a rejection is reported as the avatar's error. */
export interface AvatarAdapter {
  /** Connects to the session's stream; report through `events` from then on. Resolves once connecting is under way or done. */
  connect(session: AvatarSessionInfo, events: AvatarAdapterEvents): Promise<void> | void;
  /** Stops the avatar talking now (a cancel, a barge-in). */
  interrupt(): Promise<void> | void;
  /** Makes the avatar say `text` (apps that drive speech through the adapter). */
  speak?(text: string): Promise<void> | void;
  /** Closes the stream; no event is reported afterwards. */
  close(): Promise<void> | void;
}
