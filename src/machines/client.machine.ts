/**
 * The root: runs `auth`, `connection` and `conversation` as children (system ids of the same
 * names, so the inspector names every actor) and routes the client's commands to them.
 */
import { sendTo, setup } from 'xstate';
import { authMachine, type AuthInput } from './auth.machine.js';
import { connectionMachine, type ConnectionInput } from './connection.machine.js';
import { conversationMachine, type ConversationEvent, type ConversationInput } from './conversation.machine.js';

export interface ClientMachineInput {
  readonly auth: AuthInput;
  readonly connection: ConnectionInput;
  readonly conversation?: ConversationInput;
}

export type ClientMachineEvent =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'outbound'; data: string }
  | { type: 'login' }
  | { type: 'logout' }
  | { type: 'token.expired' }
  /** From the connection machine: the server refused the token at the handshake. */
  | { type: 'token.refused' }
  | { type: 'dispose' }
  | ConversationEvent;

export const clientMachine = setup({
  types: {
    input: {} as ClientMachineInput,
    context: {} as ClientMachineInput,
    events: {} as ClientMachineEvent,
  },
  actors: { auth: authMachine, connection: connectionMachine, conversation: conversationMachine },
  actions: {
    forwardToConnection: sendTo('connection', ({ event }) => event as Extract<ClientMachineEvent, { type: 'connect' | 'disconnect' | 'outbound' }>),
    forwardToAuth: sendTo('auth', ({ event }) => event as Extract<ClientMachineEvent, { type: 'login' | 'logout' | 'token.expired' | 'token.refused' }>),
    forwardToConversation: sendTo('conversation', ({ event }) => event as ConversationEvent),
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
      ],
      on: {
        connect: { actions: 'forwardToConnection' },
        disconnect: { actions: 'forwardToConnection' },
        outbound: { actions: 'forwardToConnection' },
        login: { actions: 'forwardToAuth' },
        logout: { actions: 'forwardToAuth' },
        'token.expired': { actions: 'forwardToAuth' },
        'token.refused': { actions: 'forwardToAuth' },
        server: { actions: 'forwardToConversation' },
        'stream.kind': { actions: 'forwardToConversation' },
        'text.requested': { actions: 'forwardToConversation' },
        'connection.lost': { actions: 'forwardToConversation' },
        dispose: 'disposed',
      },
    },
    disposed: { type: 'final', description: 'Every child stopped; the client is done.' },
  },
});
