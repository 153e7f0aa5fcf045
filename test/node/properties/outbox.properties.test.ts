/**
 * Properties of the outbox (issue 10), on a SimulatedClock, against a model of a consistent server
 * and conversation: random commands (raw events, texts with or without interrupt, cancels, requests
 * that expect a reply) interleaved with link changes, the server starting and ending answers,
 * confirming cancels, answering requests, and time passing.
 *
 * 1. Every command settles exactly once (at the latest at dispose), with a documented reason when refused.
 * 2. Never a pre-empting frame while the server is busy (an answer requested or running).
 * 3. Never two `text_input`s that start an answer without the end of the first in between.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientErrorReasons } from '../../../src/errors.js';
import { preempts, summarize } from '../../../src/machines/outbox.logic.js';
import type { ClientEvent } from '../../../src/schema/client.js';
import { outboxHarness, output } from '../machines/outbox.harness.js';

type Action =
  | { kind: 'raw'; event: ClientEvent; reply: boolean }
  | { kind: 'text'; interrupt: boolean; chat: boolean }
  | { kind: 'cancel' }
  | { kind: 'link'; to: 'connecting' | 'ready' | 'lost' | 'ended' }
  | { kind: 'server' }
  | { kind: 'answer' }
  | { kind: 'tick'; ms: number };

const rawEvents: ClientEvent[] = [
  { type: 'get_agents' },
  { type: 'ping' },
  { type: 'get_voices' },
  { type: 'set_session_metadata', meta: { k: 1 } },
  { type: 'resume_chat_session', session_id: 's1' },
  { type: 'resume_chat_session', session_id: 's2' },
  { type: 'text_input', text: 'raw', file_ids: [] },
  { type: 'text_input', text: '!help', file_ids: [] },
];

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('raw' as const), event: fc.constantFrom(...rawEvents), reply: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('text' as const), interrupt: fc.boolean(), chat: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('link' as const), to: fc.constantFrom('connecting' as const, 'ready' as const, 'ready' as const, 'lost' as const, 'ended' as const) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'server' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'answer' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 15_000 }) }) },
);

const REASONS: ReadonlySet<string> = new Set(clientErrorReasons);

function run(actions: readonly Action[]) {
  const h = outboxHarness(10_000);
  const ids: number[] = [];
  const violations: string[] = [];
  /** The model: the link, an answer requested or running on the server, cancels to confirm, requests sent. */
  const m = { link: 'ready' as 'offline' | 'underWay' | 'ready', requested: false, running: false, cancelling: false, cancels: 0 };
  const activity = () => (m.requested || m.running ? 'busy' : m.link === 'ready' ? 'idle' : 'unknown');
  h.readyAndIdle(); // connected, the user's turn
  let reported = 'idle';
  const report = () => {
    if (activity() === reported) return;
    reported = activity();
    h.send({ type: 'server.activity', activity: reported as 'busy' });
  };
  let seen = 0;
  /** Reads what the outbox told since the last look, as the conversation and the server would. */
  const react = (): void => {
    for (; seen < h.notices.length; seen++) {
      const notice = h.notices[seen]!;
      if (notice.type === 'outbound') {
        const event = JSON.parse(notice.data) as ClientEvent;
        const summary = summarize(event);
        if (m.link !== 'ready') violations.push(`${event.type} sent while the link is ${m.link}`);
        if (preempts(summary, 's1') && (m.requested || m.running)) violations.push(`${event.type} sent while an answer is ${m.running ? 'running' : 'requested'}`);
        if (event.type === 'client_wants_cancel') m.cancels++;
      } else if (notice.type === 'text.requested') {
        if (m.requested || m.running) violations.push('a second text_input started an answer before the first ended');
        m.requested = true;
      } else if (notice.type === 'text.unanswered') {
        m.requested = false;
      } else if (notice.type === 'cancel.confirmed') {
        m.cancelling = true;
      }
    }
    report();
    // what the outbox did on hearing the new activity is read in the same step
    if (seen < h.notices.length) react();
  };
  let textNo = 0;
  for (const action of actions) {
    switch (action.kind) {
      case 'raw':
        ids.push(h.command(action.event, action.reply));
        break;
      case 'text':
        ids.push(h.text(action.chat ? '!tools' : `text ${++textNo}`, action.interrupt));
        break;
      case 'cancel':
        ids.push(h.cancel());
        break;
      case 'link':
        if (action.to === 'connecting' && m.link === 'offline') {
          m.link = 'underWay';
          h.send({ type: 'link.connecting' });
        } else if (action.to === 'ready' && m.link === 'underWay') {
          m.link = 'ready';
          h.send({ type: 'link.ready' });
          if (m.requested && !m.running) {
            // the short form with user_turn_start: the text never arrived; the conversation ends its interaction
            m.requested = false;
            h.send({ type: 'interaction.ended', output: output('interrupted'), topLevel: true });
          }
          h.send({ type: 'server', event: { type: 'chat_session_changed', chat_session: { session_id: 's1' } } as never });
        } else if (action.to === 'lost' && m.link === 'ready') {
          m.link = 'underWay';
          m.cancels = 0; // cancels die with the socket
          h.send({ type: 'link.lost' });
        } else if (action.to === 'ended' && m.link !== 'offline') {
          m.link = 'offline';
          m.cancels = 0;
          const ran = m.requested || m.running;
          m.requested = m.running = m.cancelling = false;
          h.send({ type: 'link.ended', reason: 'network', message: 'gone' });
          if (ran) h.send({ type: 'interaction.ended', output: output('interrupted'), topLevel: true });
        }
        break;
      case 'server':
        if (m.link !== 'ready') break;
        if (m.cancels > 0) {
          m.cancels--;
          h.send({ type: 'server', event: { type: 'cancelled' } as never });
        } else if (m.requested && !m.running) {
          m.running = true;
          h.send({ type: 'interaction.started' });
        } else if (m.running) {
          m.running = m.requested = false;
          h.send({ type: 'interaction.ended', output: output(m.cancelling ? 'cancelled' : 'done'), topLevel: true });
          m.cancelling = false;
        }
        break;
      case 'answer': {
        const awaiting = h.outbox.getSnapshot().context.awaiting;
        if (m.link === 'ready' && awaiting.length > 0) h.send({ type: 'command.answered', id: awaiting[0]! });
        break;
      }
      case 'tick':
        h.clock.increment(action.ms);
        break;
    }
    react();
  }
  h.send({ type: 'dispose' });
  for (const id of ids) {
    const all = h.settled.filter((s) => s.id === id);
    if (all.length !== 1) violations.push(`command ${id} settled ${all.length} times`);
    const refusal = all[0];
    if (refusal && !refusal.ok && (!REASONS.has(refusal.reason) || refusal.message === '')) violations.push(`command ${id}: undocumented refusal ${refusal.reason}`);
  }
  return { violations, settled: h.settled, frames: h.frames() };
}

describe('outbox properties', () => {
  it('every command settles exactly once with a documented reason; no pre-empting frame while busy; one answer at a time', () => {
    const stats = { sentTexts: 0, refused: 0, ok: 0 };
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 60 }), (actions) => {
        const { violations, settled, frames } = run(actions);
        expect(violations).toEqual([]);
        stats.sentTexts += frames.filter((type) => type === 'text_input').length;
        for (const s of settled) s.ok ? stats.ok++ : stats.refused++;
      }),
      { numRuns: 1000 },
    );
    // the interesting paths were exercised
    expect(stats.sentTexts).toBeGreaterThan(200);
    expect(stats.ok).toBeGreaterThan(300);
    expect(stats.refused).toBeGreaterThan(300);
  });
});
