/**
 * Properties of the avatar statechart over random sequences of commands, server outcomes, adapter
 * events, cancels and UI resets, with a recording adapter actor:
 * - never two avatar sessions at once (at most one adapter alive, and only while connected);
 * - every command gets exactly one verdict, and a command that went ahead is settled by its
 *   outcome (the machine frees the command slot);
 * - `clear` always ends in `none` once its clearing is done;
 * - a second server-made session on one UI session is never let through;
 * - and, for the voice: the voice `avatar` never plays locally (the speaker's gate is shut).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, type ActorRefFrom } from 'xstate';
import { avatarMachine, type AdapterCommand, type AdapterEvent, type AvatarEvent, type AvatarSessionView, type AvatarVerdict } from '../../../src/machines/avatar.machine.js';
import { playbackMachine, type SpeakerCommand, type SpeakerEvent } from '../../../src/machines/playback.machine.js';
import { voiceOutput } from '../../../src/machines/voice.logic.js';

type Step =
  | { kind: 'set' }
  | { kind: 'setSession' }
  | { kind: 'clear' }
  | { kind: 'answer'; ok: boolean }
  | { kind: 'cleared' }
  | { kind: 'adapter'; event: AdapterEvent }
  | { kind: 'other'; event: AvatarEvent }
  | { kind: 'tick'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'set' }),
  fc.constant<Step>({ kind: 'setSession' }),
  fc.constant<Step>({ kind: 'clear' }),
  fc.boolean().map((ok): Step => ({ kind: 'answer', ok })),
  fc.constant<Step>({ kind: 'cleared' }),
  fc.constantFrom<AdapterEvent>({ type: 'adapter.ready' }, { type: 'adapter.speaking', talking: true }, { type: 'adapter.speaking', talking: false }, { type: 'adapter.closed', reason: 'gone' }, { type: 'adapter.failed', message: 'broke' }).map((event): Step => ({ kind: 'adapter', event })),
  fc.integer({ min: 1, max: 30_000 }).map((ms): Step => ({ kind: 'tick', ms })),
  fc.constantFrom<AvatarEvent>({ type: 'cancel.sent' }, { type: 'ui.reset' }, { type: 'heygen.known', available: true }, { type: 'heygen.known', available: false }).map((event): Step => ({ kind: 'other', event })),
);

async function play(steps: readonly Step[]) {
  const clock = new SimulatedClock();
  let alive = 0;
  const stream: { emit: ((event: AdapterEvent) => void) | null } = { emit: null };
  const actor = createActor(
    avatarMachine.provide({
      actors: {
        adapter: fromCallback<AdapterCommand, AvatarSessionView, AdapterEvent>(({ sendBack }) => {
          alive++;
          stream.emit = sendBack;
          return () => {
            alive--;
            stream.emit = null;
          };
        }),
      },
    }),
    { clock, input: { adapter: true, readyTimeoutMs: 20_000 } },
  ).start();
  const confirmed = new Set<number>();
  actor.on('confirm', ({ id }) => confirmed.add(id));
  actor.on('abandoned', ({ id }) => {
    const at = inFlight.findIndex((f) => f.id === id);
    if (at >= 0) inFlight.splice(at, 1);
  });
  const verdicts = new Map<number, AvatarVerdict[]>();
  actor.on('verdict', (verdict) => verdicts.set(verdict.id, [...(verdicts.get(verdict.id) ?? []), verdict]));
  let nextId = 1;
  /** Commands that went ahead and await their outcome: set/setSession → answered|failed, clear → cleared. */
  const inFlight: { id: number; kind: 'request' | 'clear'; origin: 'server' | 'app' }[] = [];
  let serverSessions = 0; // server-made sessions let through since the last UI reset

  for (const [index, s] of steps.entries()) {
    const where = `step ${index} ${JSON.stringify(s)}`;
    if (s.kind === 'set' || s.kind === 'setSession' || s.kind === 'clear') {
      const id = nextId++;
      actor.send(s.kind === 'set' ? { type: 'avatar.set', id } : s.kind === 'setSession' ? { type: 'avatar.setSession', id, sessionId: `app${id}`, url: null, realtimeEndpoint: null } : { type: 'avatar.clear', id });
      const got = verdicts.get(id) ?? [];
      expect(got.length, `${where}: one verdict`).toBe(1);
      if (got[0]!.ok && actor.getSnapshot().context.pending === id) {
        inFlight.push({ id, kind: s.kind === 'clear' ? 'clear' : 'request', origin: s.kind === 'set' ? 'server' : 'app' });
        if (s.kind === 'set') {
          serverSessions++;
          expect(serverSessions, `${where}: never a second server session on one UI session`).toBeLessThanOrEqual(1);
        }
      }
    } else if (s.kind === 'answer') {
      // an app session is answered only after its stream was ready and the server was told
      const request = inFlight.find((f) => f.kind === 'request' && (f.origin === 'server' || confirmed.has(f.id)));
      if (request) {
        inFlight.splice(inFlight.indexOf(request), 1);
        if (s.ok) actor.send({ type: 'avatar.answered', id: request.id, session: { sessionId: `s${request.id}`, url: null, realtimeEndpoint: null, origin: request.origin } });
        else {
          actor.send({ type: 'avatar.failed', id: request.id, problem: { reason: 'server_error', message: 'no' } });
          if (request.origin === 'server') serverSessions--; // the server made none
        }
      }
    } else if (s.kind === 'cleared') {
      const clear = inFlight.find((f) => f.kind === 'clear');
      if (clear) {
        inFlight.splice(inFlight.indexOf(clear), 1);
        actor.send({ type: 'avatar.cleared', id: clear.id });
        expect(actor.getSnapshot().hasTag('none'), `${where}: a clear ends in none`).toBe(true);
      }
    } else if (s.kind === 'adapter') stream.emit?.(s.event);
    else if (s.kind === 'tick') clock.increment(s.ms);
    else {
      actor.send(s.event);
      if (s.event.type === 'ui.reset') serverSessions = 0;
    }
    const snapshot = actor.getSnapshot();
    expect(alive, `${where}: adapters alive`).toBe(snapshot.matches('session') ? 1 : 0);
    expect(snapshot.context.pending, `${where}: the command slot`).toBe(inFlight[0]?.id ?? null);
    if (snapshot.hasTag('none')) expect(snapshot.context.session, `${where}: no session in none`).toBeNull();
  }
  actor.stop();
  expect(alive).toBe(0);
}

describe('avatar properties', () => {
  it('one avatar stream at most; one verdict per command; a clear ends in none; never a second server session per UI session', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 50 }), play), { numRuns: 500 });
  });

  it('the voice avatar (and none) never plays locally, whatever came before', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('none', 'avatar', 'alloy', 'interrupt', 'resume'), { maxLength: 20 }), (changes) => {
        let open = true;
        const speaker = fromCallback<SpeakerCommand, void, SpeakerEvent>(({ receive }) => {
          receive((command) => {
            if (command.type === 'speaker.gate') open = command.open;
          });
          return () => undefined;
        });
        const playback = createActor(playbackMachine.provide({ actors: { speaker } }), { input: {} }).start() as ActorRefFrom<typeof playbackMachine>;
        for (const change of [...changes, 'avatar']) {
          if (change === 'interrupt') playback.send({ type: 'playback.interrupt' });
          else if (change === 'resume') playback.send({ type: 'playback.resume' });
          else playback.send({ type: 'playback.voice', output: voiceOutput({ voice_id: change, output_format: change === 'alloy' ? 'pcm16' : change === 'avatar' ? 'special' : 'none' }) });
          if (change === 'avatar' || change === 'none') expect(open).toBe(false);
        }
        playback.stop();
      }),
      { numRuns: 300 },
    );
  });
});
