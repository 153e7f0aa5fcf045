import type { AnyStateMachine } from 'xstate';
/** The files of stately/ for these machines: a map from file name to content. */
export function statelyFiles(machines: readonly AnyStateMachine[]): Record<string, string>;
