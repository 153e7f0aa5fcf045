/**
 * Turn-taking: whose turn it is, from the server's `user_turn_start` / `user_turn_end`
 * (PROTOCOL.md §7.5). The signals are advisory, and after a connection loss nobody knows whose turn
 * it is until the server says so again: the state is cleared, not assumed.
 */
import { setup } from 'xstate';

export type TurnEvent =
  | { type: 'server.userTurnStart' }
  | { type: 'server.userTurnEnd' }
  /** The connection dropped or closed: the turn is unknown until the server speaks. */
  | { type: 'connection.lost' };

export const turnMachine = setup({
  types: { events: {} as TurnEvent },
}).createMachine({
  id: 'turn',
  initial: 'unknown',
  on: { 'connection.lost': '.unknown' },
  states: {
    unknown: {
      description: 'Not connected, or reconnected and the server has not said whose turn it is.',
      on: { 'server.userTurnStart': 'user', 'server.userTurnEnd': 'agent' },
    },
    user: {
      description: 'The server is ready for input (`user_turn_start`).',
      on: { 'server.userTurnEnd': 'agent' },
    },
    agent: {
      description: 'An interaction runs (`user_turn_end`); input now would pre-empt it on the server.',
      on: { 'server.userTurnStart': 'user' },
    },
  },
});
