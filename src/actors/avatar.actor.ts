/**
 * The avatar adapter as an actor of the avatar machine: it connects the app's adapter to the
 * session (with the access token from the vault: the token never enters machine context), turns
 * its callbacks into machine events, interrupts it on command, and closes it when the machine leaves
 * `connected` (so there is never more than one avatar stream).
 */
import { fromCallback } from 'xstate';
import type { AvatarAdapter } from '../avatar/adapter.js';
import type { AdapterCommand, AdapterEvent, AvatarSessionView } from '../machines/avatar.machine.js';
import { redactSecrets } from '../schema/redact.js';

const words = (error: unknown): string => redactSecrets(error instanceof Error ? error.message : String(error));

/** The actor that runs `adapter` for one session; `token()` reads the session's access token from the vault. */
export function createAvatarActor(adapter: AvatarAdapter, token: () => string | null) {
  return fromCallback<AdapterCommand, AvatarSessionView, AdapterEvent>(({ input, sendBack, receive }) => {
    let closed = false;
    const tell = (event: AdapterEvent): void => {
      if (!closed) sendBack(event);
    };
    const attempt = (run: () => unknown): void => {
      try {
        Promise.resolve(run()).catch((error: unknown) => tell({ type: 'adapter.failed', message: `The avatar adapter failed: ${words(error)}` }));
      } catch (error) {
        tell({ type: 'adapter.failed', message: `The avatar adapter failed: ${words(error)}` });
      }
    };
    attempt(() =>
      adapter.connect(
        { sessionId: input.sessionId, accessToken: token() ?? '', url: input.url, realtimeEndpoint: input.realtimeEndpoint },
        {
          ready: () => tell({ type: 'adapter.ready' }),
          speaking: (talking) => tell({ type: 'adapter.speaking', talking: talking === true }),
          closed: (reason) => tell({ type: 'adapter.closed', reason: redactSecrets(String(reason)) }),
        },
      ),
    );
    receive((command) => {
      if (command.type === 'adapter.interrupt') attempt(() => adapter.interrupt());
    });
    return () => {
      closed = true;
      try {
        void Promise.resolve(adapter.close()).catch(() => undefined);
      } catch {
        // closing is best effort: the machine has already left the session
      }
    };
  });
}
