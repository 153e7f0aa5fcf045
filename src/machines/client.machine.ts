/**
 * The root: runs `auth`, `connection`, `conversation` and `outbox` as children (system ids of the
 * same names, so the inspector names every actor) and routes between them and the app-facing layer:
 *
 * - the app's commands (`command.*`) go to the outbox, which decides when each goes out;
 * - the outbox's frames (`outbound`) go to the connection; its notices about texts and cancels to
 *   the conversation;
 * - the connection's link changes go to the outbox and the conversation;
 * - the conversation's activity and interaction ends go to the outbox;
 * - server events (from the data plane) go to the conversation and the outbox.
 */
import { enqueueActions, sendTo, setup } from 'xstate';
import { authMachine, type AuthInput } from './auth.machine.js';
import { connectionMachine, type ConnectionInput } from './connection.machine.js';
import { conversationMachine, type ConversationEvent, type ConversationInput } from './conversation.machine.js';
import { outboxMachine, type OutboxEvent, type OutboxInput } from './outbox.machine.js';
import { avatarMachine, type AvatarInput } from './avatar.machine.js';

export interface ClientMachineInput {
  readonly auth: AuthInput;
  readonly connection: ConnectionInput;
  readonly conversation?: ConversationInput;
  readonly outbox: OutboxInput;
  readonly avatar?: AvatarInput;
}

/** The app-facing layer's commands for the outbox. */
type Command = Extract<OutboxEvent, { type: `command.${string}` }>;

export type ClientMachineEvent =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'login' }
  | { type: 'logout' }
  | { type: 'token.expired' }
  /** From the connection machine: the server refused the token at the handshake. */
  | { type: 'token.refused' }
  | { type: 'dispose' }
  /** From the outbox: every command is settled (after `dispose`). */
  | { type: 'outbox.drained' }
  | Command
  /** From the outbox: a frame to send. */
  | { type: 'outbound'; data: string }
  /** From the connection. */
  | { type: 'link.connecting' }
  | { type: 'link.ready' }
  | { type: 'link.lost' }
  | { type: 'link.ended'; reason: string; message: string }
  /** From the conversation. */
  | Extract<OutboxEvent, { type: 'server.activity' | 'interaction.started' | 'interaction.ended' }>
  /** The data plane's events and the outbox's notices for the conversation. */
  | Exclude<ConversationEvent, { type: 'link.lost' | 'link.ended' | 'turn.changed' | `xstate.done.actor.${string}` }>;

export const clientMachine = setup({
  types: {
    input: {} as ClientMachineInput,
    context: {} as ClientMachineInput,
    events: {} as ClientMachineEvent,
  },
  actors: { auth: authMachine, connection: connectionMachine, conversation: conversationMachine, outbox: outboxMachine, avatar: avatarMachine },
  actions: {
    forwardToConnection: sendTo('connection', ({ event }) => event as Extract<ClientMachineEvent, { type: 'connect' | 'disconnect' | 'outbound' }>),
    forwardToAuth: sendTo('auth', ({ event }) => event as Extract<ClientMachineEvent, { type: 'login' | 'logout' | 'token.expired' | 'token.refused' }>),
    forwardToConversation: sendTo('conversation', ({ event }) => event as ConversationEvent),
    forwardToOutbox: sendTo('outbox', ({ event }) => event as OutboxEvent),
    /** A server event: the conversation first (turns and interactions), then the outbox (cancels, lists, the session). */
    forwardServerEvent: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'server') return;
      enqueue.sendTo('conversation', event);
      enqueue.sendTo('outbox', event);
    }),
    forwardLink: enqueueActions(({ event, enqueue }) => {
      enqueue.sendTo('outbox', event as OutboxEvent);
      if (event.type === 'link.lost' || event.type === 'link.ended') enqueue.sendTo('conversation', { type: event.type });
    }),
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => input,
  initial: 'running',
  states: {
    running: {
      invoke: [
        { id: 'auth', systemId: 'auth', src: 'auth', input: ({ context }) => context.auth },
        { id: 'connection', systemId: 'connection', src: 'connection', input: ({ context }) => context.connection },
        { id: 'conversation', systemId: 'conversation', src: 'conversation', input: ({ context }) => context.conversation ?? {} },
        { id: 'outbox', systemId: 'outbox', src: 'outbox', input: ({ context }) => context.outbox },
        // the runtime talks to it directly (its commands' verdicts, the adapter's slot)
        { id: 'avatar', systemId: 'avatar', src: 'avatar', input: ({ context }) => context.avatar ?? { adapter: false, readyTimeoutMs: 20_000 } },
      ],
      on: {
        connect: { actions: 'forwardToConnection' },
        disconnect: { actions: 'forwardToConnection' },
        outbound: { actions: 'forwardToConnection' },
        login: { actions: 'forwardToAuth' },
        logout: { actions: 'forwardToAuth' },
        'token.expired': { actions: 'forwardToAuth' },
        'command.send': { actions: 'forwardToOutbox' },
        'command.text': { actions: 'forwardToOutbox' },
        'command.cancel': { actions: 'forwardToOutbox' },
        'command.answered': { actions: 'forwardToOutbox' },
        'command.failed': { actions: 'forwardToOutbox' },
        'link.connecting': { actions: 'forwardLink' },
        'link.ready': { actions: 'forwardLink' },
        'link.lost': { actions: 'forwardLink' },
        'link.ended': { actions: 'forwardLink' },
        'server.activity': { actions: 'forwardToOutbox' },
        'interaction.started': { actions: 'forwardToOutbox' },
        'interaction.ended': { actions: 'forwardToOutbox' },
        server: { actions: 'forwardServerEvent' },
        'token.refused': { actions: 'forwardToAuth' },
        'stream.kind': { actions: 'forwardToConversation' },
        'text.requested': { actions: 'forwardToConversation' },
        'text.unanswered': { actions: 'forwardToConversation' },
        'cancel.confirmed': { actions: 'forwardToConversation' },
        dispose: '.disposing',
      },
      initial: 'active',
      states: {
        active: {},
        disposing: {
          description: 'The outbox settles every command still waiting (`closed`) before the children stop.',
          entry: sendTo('outbox', { type: 'dispose' }),
          on: { 'outbox.drained': '#client.disposed' },
        },
      },
    },
    disposed: { type: 'final', description: 'Every child stopped; the client is done.' },
  },
});
