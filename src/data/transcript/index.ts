/**
 * The transcript: a pure fold of server events into the ordered messages of the current chat
 * session (docs/protocol.md §5.2, §7.3, §7.4, §7.10). This is the data plane: no xstate, no RxJS, cheap
 * per-delta work. Internally mutable; what it hands out is immutable (new arrays and objects when
 * something changed, the same ones otherwise), so a caller can compare by reference.
 *
 * - `fold.ts`: routing, the fast path for deltas, the public interface and `createTranscript`;
 * - `store.ts`: the state and the primitives (push, replace, commit, publishing a change);
 * - `streams.ts`, `calls.ts`, `subsessions.ts`, `history.ts`: the fold steps, by concern;
 * - `rope.ts`: the streaming text, delta by delta; `context.ts`, `read.ts`, `types.ts`: the pieces.
 */
export { createTranscript } from './fold.js';
export type { SubSession, Transcript, TranscriptChange, TranscriptMessage } from './types.js';
