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

/** Settles with the first outcome the snapshots show (the current snapshot counts). */
export function firstAttempt(snapshots$: Observable<ConnectionSnapshot>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: ClientError) => {
      if (settled) return;
      settled = true;
      queueMicrotask(() => subscription.unsubscribe());
      if (error) reject(error);
      else resolve();
    };
    const subscription = snapshots$.subscribe({
      next: (snapshot) => {
        const { value } = snapshot;
        if (typeof value === 'object' && value.attempt.phase === 'ready') return finish();
        if (value === 'closed') return finish(new ClientError('closed', 'The connection was closed'));
        if (value === 'retrying' || value === 'failed') {
          const problem = snapshot.context.lastError;
          finish(new ClientError(problem?.reason ?? 'network', problem?.message ?? 'The connection failed'));
        }
      },
      complete: () => finish(new ClientError('closed', 'The client was disposed')),
    });
  });
}
