/**
 * The avatar and voice commands: `setAvatar`, `setAvatarSession`, `clearAvatar`, `setVoice`. The
 * avatar machine says whether a command may go (its verdict); the request then goes through the
 * outbox like every other (`ask`), and its outcome goes back to the machine. Every command settles:
 * refused at once with a reason, answered, or failed (the server's error, the outbox's reply
 * deadline, a lost connection, dispose).
 */
import type { ActorRefFrom } from 'xstate';
import { ClientError } from '../errors.js';
import type { AvatarProblem, AvatarSessionView, AvatarVerdict, avatarMachine } from '../machines/avatar.machine.js';
import type { HeygenSession, Voice } from '../schema/catalog.js';
import type { ClientEvent } from '../schema/client.js';
import type { ServerEvent } from '../schema/server/index.js';
import type { ReplyVerdict } from './commands.js';

/** Options of `setAvatar` (the server's defaults; HeyGen takes `low | medium | high` and `H264 | VP8`). */
export interface SetAvatarOptions {
  /** @default 'medium' */
  readonly quality?: 'low' | 'medium' | 'high';
  /** @default 'H264' */
  readonly videoEncoding?: 'H264' | 'VP8';
}

/** Options of `setAvatarSession`: where the session's stream is, for the avatar adapter (HeyGen's `streaming.new` answers them). */
export interface AvatarSessionOptions {
  /** The session's `url` (HeyGen's streaming host). */
  readonly url?: string | null;
  readonly realtimeEndpoint?: string | null;
}

export interface AvatarCommandDependencies {
  readonly avatar: () => ActorRefFrom<typeof avatarMachine>;
  ask(event: ClientEvent, match: (reply: ServerEvent) => ReplyVerdict): Promise<void>;
  /** Keeps the current avatar session's access token (the adapter's), outside any machine. */
  keepAvatarToken(token: string | null): void;
  avatarToken(): string | null;
  /** The voices the server listed (empty until `voice_list`). */
  voices(): readonly Voice[];
  isDisposed(): boolean;
}

const QUALITIES = ['low', 'medium', 'high'] as const;
const ENCODINGS = ['H264', 'VP8'] as const;

const invalid = (message: string) => new ClientError('invalid_options', message);
const problemError = (problem: AvatarProblem) => new ClientError(problem.reason, problem.message);

/** The spurious error the server sends before a valid voice change (§4.9) names the voice model, not the id. */
const voiceRefusal = (voiceId: string) => (reply: ServerEvent) => reply.type === 'system_message' && reply.severity === 'error' && reply.content === `Voice '${voiceId}' not found`;

export function createAvatarCommands(deps: AvatarCommandDependencies) {
  let nextId = 1;

  /** Asks the avatar machine; resolves with its go-ahead, rejects with its refusal. */
  function verdict(command: { type: 'avatar.set' | 'avatar.clear' } | { type: 'avatar.setSession'; sessionId: string; url: string | null; realtimeEndpoint: string | null }, id = nextId++): { id: number; go: Promise<{ clearVoice: boolean }> } {
    let answer: AvatarVerdict | undefined;
    const subscription = deps.avatar().on('verdict', (emitted) => {
      if (emitted.id === id) answer = emitted;
    });
    deps.avatar().send({ ...command, id } as Parameters<ReturnType<typeof deps.avatar>['send']>[0]);
    subscription.unsubscribe();
    // the machine decides in the send's own step: no verdict means it was not running (disposed)
    if (!answer) return { id, go: Promise.reject(new ClientError('closed', 'The client was disposed')) };
    return { id, go: answer.ok ? Promise.resolve({ clearVoice: answer.clearVoice }) : Promise.reject(problemError(answer.problem)) };
  }

  /** Why a request failed, as the machine keeps it. */
  const problemOf = (error: unknown): AvatarProblem =>
    error instanceof ClientError ? { reason: error.reason, message: error.message } : { reason: 'server_error', message: error instanceof Error ? error.message : String(error) };

  return {
    /**
     * Asks the server for a HeyGen avatar session (`set_avatar`); resolves with it (its `access_token`
     * is yours: connect HeyGen's SDK with it, or let the client's `avatarAdapter` do it). Rejects
     * `avatar_unavailable` when the server has no HeyGen, or when it already made one for this UI
     * session (it cannot make a second, §4.7: use `setAvatarSession` then).
     */
    async setAvatar(avatarId: string, options: SetAvatarOptions = {}): Promise<HeygenSession> {
      if (deps.isDisposed()) throw new ClientError('closed', 'The client was disposed');
      if (typeof avatarId !== 'string' || avatarId === '') throw invalid('avatarId: must be a non-empty string');
      if (options === null || typeof options !== 'object') throw invalid('options: must be an object ({ quality, videoEncoding })');
      const quality = options.quality ?? 'medium';
      const videoEncoding = options.videoEncoding ?? 'H264';
      if (!QUALITIES.includes(quality)) throw invalid(`quality: must be one of ${QUALITIES.join(', ')} (got ${String(quality)})`);
      if (!ENCODINGS.includes(videoEncoding)) throw invalid(`videoEncoding: must be one of ${ENCODINGS.join(', ')} (got ${String(videoEncoding)})`);
      const { id, go } = verdict({ type: 'avatar.set' });
      await go;
      let session: HeygenSession | undefined;
      try {
        await deps.ask({ type: 'set_avatar', avatar_id: avatarId, quality, video_encoding: videoEncoding }, (reply) => {
          if (reply.type === 'avatar_connection_changed') {
            session = reply.avatar_session;
            return { answer: true };
          }
          // the server's failures carry no source (§4.7): the first error after the request is its answer
          if (reply.type === 'error' && (reply.source === 'set_avatar' || reply.message.startsWith('Error processing event'))) {
            const unavailable = reply.message.includes('create_new_session');
            return { error: new ClientError(unavailable ? 'avatar_unavailable' : 'server_error', unavailable ? `The server could not make an avatar session: ${reply.message}` : reply.message, { cause: reply }) };
          }
          return undefined;
        });
      } catch (error) {
        deps.avatar().send({ type: 'avatar.failed', id, problem: problemOf(error) });
        throw error;
      }
      deps.keepAvatarToken(session!.access_token);
      const view: AvatarSessionView = { sessionId: session!.session_id, url: session!.url, realtimeEndpoint: session!.realtime_endpoint ?? null, origin: 'server' };
      deps.avatar().send({ type: 'avatar.answered', id, session: view });
      return session!;
    },

    /**
     * Hands the server a HeyGen session your app made with the login's HeyGen token
     * (`set_avatar_session`); resolves once the server switched the voice to `avatar` (the avatar
     * speaks, local playback stops).
     */
    async setAvatarSession(accessToken: string, sessionId: string, options: AvatarSessionOptions = {}): Promise<void> {
      if (deps.isDisposed()) throw new ClientError('closed', 'The client was disposed');
      if (typeof accessToken !== 'string' || accessToken === '') throw invalid('accessToken: must be a non-empty string');
      if (typeof sessionId !== 'string' || sessionId === '') throw invalid('sessionId: must be a non-empty string');
      if (options === null || typeof options !== 'object') throw invalid('options: must be an object ({ url, realtimeEndpoint })');
      const url = options.url ?? null;
      const realtimeEndpoint = options.realtimeEndpoint ?? null;
      if (url !== null && (typeof url !== 'string' || !/^(wss?|https?):\/\//.test(url))) throw invalid('options.url: must be the session\'s ws(s) or http(s) URL');
      if (realtimeEndpoint !== null && typeof realtimeEndpoint !== 'string') throw invalid('options.realtimeEndpoint: must be a string');
      // The adapter opens the stream first, with this token (it reads it as the machine takes the
      // command); the server is told once the stream is ready (§7.8 B). The machine may say so in
      // the very step that takes the command: listen first.
      const id = nextId++;
      const previousToken = deps.avatarToken();
      deps.keepAvatarToken(accessToken);
      let listeners: { unsubscribe(): void }[] = [];
      const handOver = new Promise<void>((resolve, reject) => {
        listeners = [
          deps.avatar().on('confirm', (emitted) => emitted.id === id && resolve()),
          deps.avatar().on('abandoned', (emitted) => emitted.id === id && reject(problemError(emitted.problem))),
          deps.avatar().subscribe({ complete: () => reject(new ClientError('closed', 'The client was disposed')) }),
        ];
      });
      const release = () => {
        for (const listener of listeners) listener.unsubscribe();
      };
      try {
        await verdict({ type: 'avatar.setSession', sessionId, url, realtimeEndpoint }, id).go;
      } catch (error) {
        release();
        handOver.catch(() => undefined);
        deps.keepAvatarToken(previousToken); // refused: the avatar that is there keeps its token
        throw error;
      }
      try {
        await handOver;
      } finally {
        release();
      }
      try {
        await deps.ask({ type: 'set_avatar_session', access_token: accessToken, avatar_session_id: sessionId }, (reply) =>
          reply.type === 'agent_voice_changed' && reply.voice.voice_id === 'avatar' ? { answer: true } : undefined,
        );
      } catch (error) {
        deps.avatar().send({ type: 'avatar.failed', id, problem: problemOf(error) });
        throw error;
      }
      deps.avatar().send({ type: 'avatar.answered', id, session: { sessionId, url, realtimeEndpoint, origin: 'app' } });
    },

    /**
     * Ends the avatar here: the adapter's stream is closed and, for a session the app handed over,
     * the voice goes back to `none` (the server has no event that clears an avatar, §7.8; a session
     * the server made stays open on HeyGen until it times out). Always ends with `avatar$` at `none`.
     */
    async clearAvatar(): Promise<void> {
      if (deps.isDisposed()) throw new ClientError('closed', 'The client was disposed');
      const { id, go } = verdict({ type: 'avatar.clear' });
      const { clearVoice } = await go;
      deps.keepAvatarToken(null);
      try {
        if (clearVoice) {
          await deps.ask({ type: 'set_agent_voice', voice_id: 'none' }, (reply) => (reply.type === 'agent_voice_changed' && reply.voice.voice_id === 'none' ? { answer: true } : undefined));
        }
      } finally {
        // the avatar is gone on this side whatever the server said
        deps.avatar().send({ type: 'avatar.cleared', id });
      }
    },

    /**
     * Sets the agent's voice (`set_agent_voice`): `none` (text only) or a voice of `voice_list`.
     * Resolves with it once the server confirmed (its spurious "Voice … not found" is ignored, §4.9).
     * The voice `avatar` comes with an avatar session (`setAvatarSession`), not from here.
     */
    async setVoice(voiceId: string): Promise<Voice> {
      if (deps.isDisposed()) throw new ClientError('closed', 'The client was disposed');
      if (typeof voiceId !== 'string' || voiceId === '') throw invalid('voiceId: must be a non-empty string');
      if (voiceId === 'avatar') throw invalid("voiceId: the voice 'avatar' comes with an avatar session (setAvatarSession); the server refuses it here");
      const known = deps.voices();
      if (known.length > 0 && !known.some((voice) => voice.voice_id === voiceId)) {
        throw invalid(`voiceId: '${voiceId}' is not a voice of this server (${known.map((voice) => voice.voice_id).filter((v) => v !== 'avatar').join(', ')})`);
      }
      let voice: Voice | undefined;
      await deps.ask({ type: 'set_agent_voice', voice_id: voiceId }, (reply) => {
        if (reply.type === 'agent_voice_changed' && reply.voice.voice_id === voiceId) {
          voice = reply.voice;
          return { answer: true };
        }
        if (voiceRefusal(voiceId)(reply)) return { error: new ClientError('server_error', `The server refused the voice '${voiceId}'`, { cause: reply }) };
        return undefined;
      });
      return voice!;
    },
  };
}

export type AvatarCommands = ReturnType<typeof createAvatarCommands>;
