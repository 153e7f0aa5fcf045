/**
 * The avatar: none → requesting → connected (connecting → live) → closing → none,
 * or failed with a reason. It decides whether an avatar command may go (and says why not), holds
 * the session the server or the app made (never its access token: that stays in the runtime's
 * vault), and runs the app's avatar adapter (an I/O actor filled through the runtime's slot) while
 * connected: leaving `connected` by any path closes the adapter, so there is never more than one
 * avatar stream.
 *
 * The server's sharp edges (docs/protocol.md §4.7, §4.8, §7.8, §13 item 10) are guards here: a second
 * `set_avatar` on a UI session that had a server-made session fails on the server (its HeyGen
 * client is gone), so it is refused before it is sent; a server without HeyGen is said so; there
 * is no server event that clears an avatar, so `clear` always ends in `none` on this side.
 */
import { assign, emit, enqueueActions, fromCallback, setup } from 'xstate';
import type { ClientErrorReason } from '../errors.js';

/** Where the avatar session came from: the server (`set_avatar`) or the app (`set_avatar_session`). */
export type AvatarOrigin = 'server' | 'app';

/** An avatar session as the machine keeps it (no secret). */
export interface AvatarSessionView {
  readonly sessionId: string;
  readonly url: string | null;
  readonly realtimeEndpoint: string | null;
  readonly origin: AvatarOrigin;
}

/** Why an avatar command is refused, or why the avatar failed. */
export interface AvatarProblem {
  readonly reason: ClientErrorReason;
  readonly message: string;
}

/** What the adapter actor tells the machine. */
export type AdapterEvent = { type: 'adapter.ready' } | { type: 'adapter.speaking'; talking: boolean } | { type: 'adapter.closed'; reason: string } | { type: 'adapter.failed'; message: string };

/** What the machine tells the adapter actor. */
export type AdapterCommand = { type: 'adapter.interrupt' };

export type AvatarEvent =
  /** The app asks for a server-made avatar (`setAvatar`). */
  | { type: 'avatar.set'; id: number }
  /** The app hands over a session it made (`setAvatarSession`): the stream opens first, then the server is told (§7.8 B). */
  | { type: 'avatar.setSession'; id: number; sessionId: string; url: string | null; realtimeEndpoint: string | null }
  /** The server answered the request: the session. */
  | { type: 'avatar.answered'; id: number; session: AvatarSessionView }
  /** The request failed (the server's error, a timeout, a lost connection). */
  | { type: 'avatar.failed'; id: number; problem: AvatarProblem }
  | { type: 'avatar.clear'; id: number }
  /** What clearing needed from the server is done (or could not be done: the avatar is gone here anyway). */
  | { type: 'avatar.cleared'; id: number }
  /** Whether this server has HeyGen (its avatar list, its login's HeyGen token). */
  | { type: 'heygen.known'; available: boolean }
  /** A new UI session (a first connection, or a restarted server): the server's HeyGen client is fresh. */
  | { type: 'ui.reset' }
  /** A cancel went out (a cancel, a barge-in): the avatar stops talking. */
  | { type: 'cancel.sent' }
  | AdapterEvent;

/** The machine's verdict on a command: go (the client sends the request), or refused with a reason. */
export type AvatarVerdict = { type: 'verdict'; id: number; ok: true; clearVoice: boolean } | { type: 'verdict'; id: number; ok: false; problem: AvatarProblem };

/**
 * For a session the app hands over: the stream is ready, tell the server now (`confirm`), or the
 * hand-over was given up before the server was told (`abandoned`, with why).
 */
export type AvatarHandOver = { type: 'confirm'; id: number } | { type: 'abandoned'; id: number; problem: AvatarProblem };

export interface AvatarInput {
  /** An adapter runs the stream (else the app shows it, and nothing waits for it to be ready). */
  readonly adapter: boolean;
  /** How long a hand-over waits for the adapter's stream to be ready. */
  readonly readyTimeoutMs: number;
}

export interface AvatarContext {
  readonly adapter: boolean;
  readonly readyTimeoutMs: number;
  readonly session: AvatarSessionView | null;
  /** The UI session had a server-made avatar session: another `set_avatar` would fail on the server. */
  readonly serverUsed: boolean;
  /** `null` until known. */
  readonly heygen: boolean | null;
  readonly speaking: boolean;
  readonly ready: boolean;
  readonly error: AvatarProblem | null;
  /** The command in flight (request or clear). */
  readonly pending: number | null;
}

/** The refusals, in words. */
export const AVATAR_REFUSALS = {
  busy: { reason: 'avatar_busy', message: 'An avatar command is already in flight; wait for it to settle' },
  second: {
    reason: 'avatar_unavailable',
    message:
      'The server cannot make a second avatar session for this UI session (its HeyGen client is gone after the first one, PROTOCOL §4.7); use setAvatarSession with a session your app made, or reconnect with a new UI session',
  },
  noHeygen: { reason: 'avatar_unavailable', message: 'This server has no HeyGen account (its avatar list is empty and its HeyGen token is "None")' },
} as const satisfies Record<string, AvatarProblem>;

/** A command while another is in flight (first in every state's list: a state's own transitions come before the root's). */
const BUSY = { guard: 'busy', actions: { type: 'refuse', params: { problem: AVATAR_REFUSALS.busy } } } as const;
/** Why a `set_avatar` may not go: busy, no HeyGen, or a second server session on this UI session. */
const SET_REFUSALS = [
  BUSY,
  { guard: 'noHeygen', actions: { type: 'refuse', params: { problem: AVATAR_REFUSALS.noHeygen } } },
  { guard: 'secondServerSession', actions: { type: 'refuse', params: { problem: AVATAR_REFUSALS.second } } },
] as const;

/** A `set_avatar` from a state without a session (none, failed): refused, or it goes. */
const START_SET = [...SET_REFUSALS, { target: '#avatar.requesting', actions: ['takeCommand', { type: 'go', params: { clearVoice: false } }] }] as const;
/** A hand-over from a state without a session (none, failed). */
const START_HAND_OVER = [
  BUSY,
  { target: '#avatar.session.handingOver', actions: ['takeCommand', 'noteHandOver', { type: 'go', params: { clearVoice: false } }] },
] as const;

export const avatarMachine = setup({
  types: { context: {} as AvatarContext, events: {} as AvatarEvent, emitted: {} as AvatarVerdict | AvatarHandOver, input: {} as AvatarInput },
  delays: {
    readyTimeout: ({ context }) => context.readyTimeoutMs,
  },
  actors: {
    /** Filled by the runtime from the app's avatar adapter; this one connects to nothing (the app shows the stream itself). */
    adapter: fromCallback<AdapterCommand, AvatarSessionView, AdapterEvent>(() => () => undefined),
  },
  guards: {
    busy: ({ context }) => context.pending !== null,
    secondServerSession: ({ context }) => context.serverUsed,
    noHeygen: ({ context }) => context.heygen === false,
    answersPending: ({ context, event }) => 'id' in event && event.id === context.pending,
    fromApp: ({ context }) => context.session?.origin === 'app',
    noAdapter: ({ context }) => !context.adapter,
  },
  actions: {
    refuse: emit(({ event }, params: { problem: AvatarProblem }) => ({ type: 'verdict' as const, id: (event as { id: number }).id, ok: false as const, problem: params.problem })),
    go: emit(({ event }, params: { clearVoice: boolean }) => ({ type: 'verdict' as const, id: (event as { id: number }).id, ok: true as const, clearVoice: params.clearVoice })),
    takeCommand: assign({ pending: ({ event }) => (event as { id: number }).id, error: null }),
    /** The app's session, known before the server is told. */
    noteHandOver: assign(({ event }) => (event.type === 'avatar.setSession' ? { session: { sessionId: event.sessionId, url: event.url, realtimeEndpoint: event.realtimeEndpoint, origin: 'app' as const }, ready: false, speaking: false } : {})),
    confirm: emit(({ context }) => ({ type: 'confirm' as const, id: context.pending! })),
    abandon: emit(({ context, event }) => ({
      type: 'abandoned' as const,
      id: context.pending!,
      problem:
        event.type === 'adapter.closed' || event.type === 'adapter.failed'
          ? { reason: 'closed' as const, message: event.type === 'adapter.closed' ? `The avatar stream ended before it was ready: ${event.reason}` : event.message }
          : { reason: 'timeout' as const, message: 'The avatar stream was not ready in time' },
    })),
    noteAbandoned: assign(({ event }) => ({
      pending: null,
      error:
        event.type === 'adapter.closed' || event.type === 'adapter.failed'
          ? { reason: 'closed' as const, message: event.type === 'adapter.closed' ? `The avatar stream ended before it was ready: ${event.reason}` : event.message }
          : { reason: 'timeout' as const, message: 'The avatar stream was not ready in time' },
    })),
    markAnswered: assign({ pending: null }),
    releaseCommand: assign({ pending: null }),
    noteSession: assign(({ context, event }) =>
      event.type === 'avatar.answered'
        ? { session: event.session, serverUsed: context.serverUsed || event.session.origin === 'server', ready: false, speaking: false, pending: null }
        : {},
    ),
    noteFailure: assign(({ event }) => (event.type === 'avatar.failed' ? { error: event.problem, pending: null } : {})),
    noteClosed: assign(({ event }) => ({
      error: { reason: 'closed' as const, message: event.type === 'adapter.closed' ? `The avatar stream ended: ${event.reason}` : event.type === 'adapter.failed' ? event.message : 'The avatar stream ended' },
    })),
    forgetSession: assign({ session: null, ready: false, speaking: false }),
    clearError: assign({ error: null }),
    noteReady: assign({ ready: true }),
    noteSpeaking: assign({ speaking: ({ context, event }) => (event.type === 'adapter.speaking' ? event.talking : context.speaking) }),
    noteHeygen: assign({ heygen: ({ context, event }) => (event.type === 'heygen.known' ? event.available : context.heygen) }),
    resetUi: assign({ serverUsed: false }),
    interrupt: enqueueActions(({ enqueue }) => enqueue.sendTo('adapter', { type: 'adapter.interrupt' })),
  },
}).createMachine({
  id: 'avatar',
  context: ({ input }) => ({
    adapter: input?.adapter ?? false,
    readyTimeoutMs: input?.readyTimeoutMs ?? 20_000,
    session: null,
    serverUsed: false,
    heygen: null,
    speaking: false,
    ready: false,
    error: null,
    pending: null,
  }),
  initial: 'none',
  on: {
    'heygen.known': { actions: 'noteHeygen' },
    'ui.reset': { actions: 'resetUi' },
    // settled exactly once: a command that arrives while another is in flight is refused
    'avatar.set': BUSY,
    'avatar.setSession': BUSY,
    'avatar.clear': BUSY,
  },
  states: {
    none: {
      description: 'No avatar.',
      tags: 'none',
      on: {
        'avatar.set': START_SET,
        'avatar.setSession': START_HAND_OVER,
        'avatar.clear': [
          BUSY,
          { actions: { type: 'go', params: { clearVoice: false } } },
        ],
      },
    },
    requesting: {
      description: 'set_avatar went out; waiting for the session the server makes.',
      tags: 'requesting',
      on: {
        'avatar.answered': { guard: 'answersPending', target: '#avatar.session.connected', actions: 'noteSession' },
        'avatar.failed': { guard: 'answersPending', target: 'failed', actions: 'noteFailure' },
      },
    },
    session: {
      description: 'A session exists; the adapter (if the app gave one) runs its stream. Leaving this state by any path closes it: one stream at most.',
      invoke: { id: 'adapter', src: 'adapter', input: ({ context }) => context.session! },
      initial: 'connected',
      on: {
        'adapter.closed': { target: 'failed', actions: ['noteClosed', 'forgetSession'] },
        'adapter.failed': { target: 'failed', actions: ['noteClosed', 'forgetSession'] },
        'cancel.sent': { actions: 'interrupt' },
      },
      states: {
        handingOver: {
          description: "The app's session: its stream opens first; once it is ready the server is told (set_avatar_session, §7.8 B), which switches the voice to avatar.",
          tags: 'requesting',
          initial: 'opening',
          on: {
            'adapter.closed': { target: '#avatar.failed', actions: ['abandon', 'noteAbandoned', 'forgetSession'] },
            'adapter.failed': { target: '#avatar.failed', actions: ['abandon', 'noteAbandoned', 'forgetSession'] },
          },
          states: {
            opening: {
              always: { guard: 'noAdapter', target: 'confirming' },
              on: { 'adapter.ready': { target: 'confirming', actions: 'noteReady' } },
              after: { readyTimeout: { target: '#avatar.failed', actions: ['abandon', 'noteAbandoned', 'forgetSession'] } },
            },
            confirming: {
              entry: 'confirm',
              on: {
                'adapter.speaking': { actions: 'noteSpeaking' },
                'avatar.answered': { guard: 'answersPending', target: '#avatar.session.connected.live', actions: 'markAnswered' },
                'avatar.failed': { guard: 'answersPending', target: '#avatar.failed', actions: ['noteFailure', 'forgetSession'] },
              },
            },
          },
        },
        connected: {
          description: 'The avatar is set: its stream connecting, then live.',
          tags: 'connected',
          initial: 'connecting',
          on: {
            'avatar.set': [
              ...SET_REFUSALS,
              // the server closes the session it made before it makes another: so does this side
              { target: '#avatar.requesting', actions: ['forgetSession', 'takeCommand', { type: 'go', params: { clearVoice: false } }] },
            ],
            'avatar.setSession': [
              BUSY,
              { target: '#avatar.session.handingOver', actions: ['forgetSession', 'takeCommand', 'noteHandOver', { type: 'go', params: { clearVoice: false } }], reenter: true },
            ],
            'avatar.clear': [
              BUSY,
              // the voice goes back to none only for an app session: set_avatar changes no voice (§4.7)
              { guard: 'fromApp', target: '#avatar.closing', actions: ['takeCommand', { type: 'go', params: { clearVoice: true } }] },
              { target: '#avatar.closing', actions: ['takeCommand', { type: 'go', params: { clearVoice: false } }] },
            ],
          },
          states: {
            connecting: {
              description: 'Waiting for the stream to be ready.',
              on: { 'adapter.ready': { target: 'live', actions: 'noteReady' } },
            },
            live: {
              description: 'The stream is ready; whether the avatar talks is `speaking` in the context (the adapter says so, also while a hand-over is confirmed).',
              on: { 'adapter.speaking': { actions: 'noteSpeaking' } },
            },
          },
        },
      },
    },
    closing: {
      description: 'The stream is closed; the voice goes back to none (an app session) before the avatar is gone.',
      tags: 'closing',
      entry: 'forgetSession',
      on: {
        'avatar.cleared': { guard: 'answersPending', target: 'none', actions: 'releaseCommand' },
      },
    },
    failed: {
      description: 'The request failed or the stream ended, with the reason; a new command starts over.',
      tags: 'failed',
      on: {
        'avatar.set': START_SET,
        'avatar.setSession': START_HAND_OVER,
        'avatar.clear': { target: 'none', actions: ['clearError', { type: 'go', params: { clearVoice: false } }] },
      },
    },
  },
});
