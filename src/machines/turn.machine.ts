/**
 * Turn-taking: whose turn it is, from the server's `user_turn_start` / `user_turn_end`
 * (docs/protocol.md §7.5). The signals are advisory, and after a connection loss nobody knows whose turn
 * it is until the server says so again: the state is cleared, not assumed. (The conversation keeps
 * the turn the agent's across a lost socket while an answer is suspended: it does not tell this
 * machine about that loss.) Every change is told to the parent as `turn.changed`.
 */
import { enqueueActions, setup } from 'xstate';

/** Whose turn it is (`unknown` while disconnected, until the server says). */
export type Turn = 'unknown' | 'user' | 'agent';

export type TurnEvent =
  | { type: 'server.userTurnStart' }
  | { type: 'server.userTurnEnd' }
  /** The connection dropped or closed: the turn is unknown until the server speaks. */
  | { type: 'connection.lost' };

export const turnMachine = setup({
  types: { events: {} as TurnEvent },
  actions: {
    /** Tells the parent (the conversation), if there is one. */
    tellTurn: enqueueActions(({ self, enqueue }, params: { turn: Turn }) => {
      if (self._parent) enqueue.sendTo(self._parent, { type: 'turn.changed', turn: params.turn });
    }),
  },
}).createMachine({
  id: 'turn',
  initial: 'unknown',
  on: { 'connection.lost': '.unknown' },
  states: {
    unknown: {
      description: 'Not connected, or reconnected and the server has not said whose turn it is.',
      entry: { type: 'tellTurn', params: { turn: 'unknown' } },
      on: { 'server.userTurnStart': 'user', 'server.userTurnEnd': 'agent' },
    },
    user: {
      description: 'The server is ready for input (`user_turn_start`).',
      entry: { type: 'tellTurn', params: { turn: 'user' } },
      on: { 'server.userTurnEnd': 'agent' },
    },
    agent: {
      description: 'An interaction runs (`user_turn_end`); input now would pre-empt it on the server.',
      entry: { type: 'tellTurn', params: { turn: 'agent' } },
      on: { 'server.userTurnStart': 'user' },
    },
  },
});
