/**
 * How `connect()` settles: with the outcome of the attempt it started, not of the whole reconnection.
 * It resolves when that attempt is ready and rejects with the attempt's real cause (a refused
 * upgrade, `ECONNREFUSED`, `auth_required`, the connect timeout…) as soon as the connection machine
 * leaves it for `retrying`, `failed` or `closed`; reconnection goes on in the background. A token
 * renewal after a refused handshake (`awaitingToken`) belongs to the same attempt.
 */
import type { Observable } from 'rxjs';
import type { SnapshotFrom } from 'xstate';
import { ClientError } from '../errors.js';
import type { connectionMachine } from '../machines/connection.machine.js';

type ConnectionSnapshot = SnapshotFrom<typeof connectionMachine>;

/** What a snapshot says of a waiting promise: `undefined` waits, `null` resolves, an error rejects. */
export type Verdict = ClientError | null | undefined;

/**
 * The one "first match, or fail" wait of the app-facing layer: settles with the first verdict the
 * snapshots give (the current snapshot counts), and rejects with `onComplete()` if they complete
 * first (the client was disposed).
 */
export function firstVerdict<S>(snapshots$: Observable<S>, verdict: (snapshot: S) => Verdict, onComplete: () => ClientError): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error: ClientError | null) => {
      if (settled) return;
      settled = true;
      queueMicrotask(() => subscription.unsubscribe());
      if (error) reject(error);
      else resolve();
    };
    const subscription = snapshots$.subscribe({
      next: (snapshot) => {
        const outcome = verdict(snapshot);
        if (outcome !== undefined) finish(outcome);
      },
      complete: () => finish(onComplete()),
    });
  });
}

/** The connection's last problem as the error a waiting promise rejects with. */
export const connectionProblem = (snapshot: ConnectionSnapshot): ClientError =>
  new ClientError(snapshot.context.lastError?.reason ?? 'network', snapshot.context.lastError?.message ?? 'The connection failed');

/** Settles with the outcome of the attempt under way (read from the connection's tags). */
export function firstAttempt(snapshots$: Observable<ConnectionSnapshot>): Promise<void> {
  return firstVerdict(
    snapshots$,
    (snapshot) => {
      if (snapshot.hasTag('ready')) return null;
      if (snapshot.hasTag('closed')) return new ClientError('closed', 'The connection was closed');
      // renewing a refused token is part of the attempt; waiting to retry is not
      if (snapshot.hasTag('failed') || (snapshot.hasTag('reconnecting') && !snapshot.hasTag('renewingToken'))) return connectionProblem(snapshot);
      return undefined;
    },
    () => new ClientError('closed', 'The client was disposed'),
  );
}
