/**
 * Property tests of the transcript fold over random interleavings: events of the top-level session,
 * of a sub-session and of a nested sub-session (inside their brackets), and of a foreign chat
 * session, in any order the brackets allow. Every piece of content is tagged with the session id
 * and kind it was sent as, so misplaced text is visible in the result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../../src/schema/codec.js';
import type { ServerEvent } from '../../../src/schema/server/index.js';
import { createTranscript, type Transcript, type TranscriptMessage } from '../../../src/data/transcript/index.js';
import { createDataPlane } from '../../../src/data/plane.js';

const S = 'admin-top-level';
const X = 'oneshot-sub-one';
const Y = 'oneshot-nested-two';
const Z = 'admin-foreign-chat';

type Atom =
  | { k: 'text'; role: 'assistant' | 'tool' }
  | { k: 'thought' }
  | { k: 'completeThought' }
  | { k: 'interaction'; started: boolean; n: number }
  | { k: 'completion'; running: boolean; stop: string | null }
  | { k: 'select'; call: number }
  | { k: 'tool'; active: boolean; call: number; result: boolean }
  | { k: 'history' }
  | { k: 'system' }
  | { k: 'user' }
  | { k: 'media' }
  | { k: 'avatar' };

const atom = (withHistory: boolean): fc.Arbitrary<Atom> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ k: fc.constant('text' as const), role: fc.constantFrom('assistant' as const, 'tool' as const) }) },
    { weight: 4, arbitrary: fc.constant({ k: 'thought' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'completeThought' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('interaction' as const), started: fc.boolean(), n: fc.nat(2) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('completion' as const), running: fc.boolean(), stop: fc.constantFrom(null, 'end_turn', 'tool_use', 'client_cancel', 'weird') }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('select' as const), call: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('tool' as const), active: fc.boolean(), call: fc.nat(3), result: fc.boolean() }) },
    { weight: withHistory ? 1 : 0, arbitrary: fc.constant({ k: 'history' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'system' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'user' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'media' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'avatar' as const }) },
  );

function ev(object: Record<string, unknown>): ServerEvent {
  const frame = decodeServerFrame(JSON.stringify(object));
  if (frame.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(object)}`);
  return frame.event;
}

/** Builds tagged events; `texts` records every answer text sent, per session id, in order. */
class Builder {
  private n = 0;
  readonly texts = new Map<string, string[]>();

  private env(sid: string, role = 'assistant') {
    const top = sid === S || sid === Z;
    return { session_id: sid, role, parent_session_id: top ? null : S, user_session_id: sid === Z ? Z : S };
  }

  private tag(sid: string, kind: string): string {
    return `${sid}|${kind}${this.n++};`;
  }

  events(sid: string, atoms: readonly Atom[]): ServerEvent[] {
    return atoms.map((a) => this.event(sid, a));
  }

  event(sid: string, a: Atom): ServerEvent {
    const env = this.env(sid);
    const call = (i: number) => ({ type: 'tool_use', id: `${sid}-c${i}`, name: `tool${i}`, input: `{"n":${i}}` });
    switch (a.k) {
      case 'text': {
        const content = this.tag(sid, 'T');
        const list = this.texts.get(sid) ?? [];
        list.push(content);
        this.texts.set(sid, list);
        return ev({ type: 'text_delta', ...env, role: a.role, content, format: 'markdown' });
      }
      case 'thought':
        return ev({ type: 'thought_delta', ...env, role: 'assistant (thought)', content: this.tag(sid, 'H'), format: 'markdown' });
      case 'completeThought':
        return ev({ type: 'complete_thought', ...env, role: 'assistant (thought)', content: this.tag(sid, 'H'), format: 'markdown' });
      case 'interaction':
        return ev({ type: 'interaction', ...env, started: a.started, id: `${sid}-int-${a.n}` });
      case 'completion':
        return ev({ type: 'completion', ...env, running: a.running, completion_options: {}, stop_reason: a.running ? null : a.stop, input_tokens: 1, output_tokens: 2 });
      case 'select':
        return ev({ type: 'tool_select_delta', ...env, tool_calls: [call(a.call)] });
      case 'tool':
        return ev({
          type: 'tool_call',
          ...env,
          active: a.active,
          vendor: 'anthropic',
          tool_calls: [call(a.call)],
          tool_results: a.active ? null : a.result ? [{ type: 'tool_result', tool_use_id: `${sid}-c${a.call}`, content: this.tag(sid, 'R') }] : [],
        });
      case 'history':
        return ev({ type: 'history_delta', ...env, vendor: 'anthropic', messages: [{ role: 'assistant', content: [{ type: 'text', text: this.tag(sid, 'T') }] }] });
      case 'system':
        return ev({ type: 'system_message', ...this.env(sid, 'system'), content: this.tag(sid, 'N'), format: 'markdown', severity: 'info' });
      case 'user':
        return ev({ type: 'anthropic_user_message', ...env, vendor: 'anthropic', message: { role: 'user', content: this.tag(sid, 'U') } });
      case 'media':
        return ev({ type: 'render_media', ...this.env(sid, 'tool'), content_type: 'text/markdown', content: this.tag(sid, 'M') });
      case 'avatar':
        return ev({ type: 'text_delta', ...this.env(sid, 'system'), content: this.tag(sid, 'N'), format: 'markdown' });
    }
  }

  delegation(sid: string, open: boolean): ServerEvent[] {
    const env = this.env(sid);
    const call = { type: 'tool_use', id: `${sid}-deleg`, name: 'aa_oneshot', input: '{}' };
    const bracket = { session_id: S, role: 'system', parent_session_id: S, user_session_id: S };
    return open
      ? [
          ev({ type: 'tool_call', ...env, active: true, vendor: 'anthropic', tool_calls: [call], tool_results: null }),
          ev({ type: 'subsession_started', ...bracket, sub_session_type: 'oneshot', sub_agent_type: 'assist', prime_agent_key: 'a', sub_agent_key: 'b' }),
        ]
      : [
          ev({ type: 'subsession_ended', ...bracket }),
          ev({ type: 'tool_call', ...env, active: false, vendor: 'anthropic', tool_calls: [call], tool_results: [{ type: 'tool_result', tool_use_id: call.id, content: 'done' }] }),
        ];
  }
}

/** Merges two sequences, keeping the order within each, following `choices`. */
function merge<T>(a: readonly T[], b: readonly T[], choices: readonly boolean[], offset: number): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  let c = offset;
  while (i < a.length || j < b.length) {
    const pickA = j >= b.length || (i < a.length && (choices.length === 0 ? (i + j) % 2 === 0 : choices[c++ % choices.length]!));
    out.push(pickA ? a[i++]! : b[j++]!);
  }
  return out;
}

const scenario = (withHistory: boolean) =>
  fc.record({
    top: fc.array(atom(withHistory), { maxLength: 20 }),
    topMid: fc.array(atom(withHistory), { maxLength: 20 }),
    topEnd: fc.array(atom(withHistory), { maxLength: 10 }),
    sub: fc.array(atom(withHistory), { maxLength: 20 }),
    subMid: fc.array(atom(withHistory), { maxLength: 15 }),
    nested: fc.option(fc.array(atom(withHistory), { maxLength: 15 }), { nil: null }),
    subEnd: fc.array(atom(withHistory), { maxLength: 10 }),
    foreign: fc.array(atom(withHistory), { maxLength: 10 }),
    choices: fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }),
  });

type Scenario = ReturnType<typeof scenario> extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): { events: ServerEvent[]; builder: Builder } {
  const b = new Builder();
  const x: ServerEvent[] = [b.event(X, { k: 'user' }), ...b.events(X, s.sub)];
  if (s.nested !== null) {
    x.push(...b.delegation(X, true));
    x.push(...merge(b.events(X, s.subMid), [b.event(Y, { k: 'user' }), ...b.events(Y, s.nested)], s.choices, 3));
    x.push(...b.delegation(X, false));
  } else {
    x.push(...b.events(X, s.subMid));
  }
  x.push(...b.events(X, s.subEnd));
  const main: ServerEvent[] = [
    ...b.events(S, s.top),
    ...b.delegation(S, true),
    ...merge(b.events(S, s.topMid), x, s.choices, 0),
    ...b.delegation(S, false),
    ...b.events(S, s.topEnd),
  ];
  const events = [
    ev({ type: 'chat_session_changed', chat_session: { session_id: S, messages: [] } }),
    ...merge(main, b.events(Z, s.foreign), s.choices, 7),
    ev({ type: 'user_turn_start' }),
  ];
  return { events, builder: b };
}

const TOKEN = /([^|;]+)\|([A-Z])\d+;/g;

function tokens(text: string): Array<{ sid: string; kind: string }> {
  const out: Array<{ sid: string; kind: string }> = [];
  let rest = text;
  for (const match of text.matchAll(TOKEN)) {
    out.push({ sid: match[1]!, kind: match[2]! });
    rest = rest.replace(match[0], '');
  }
  expect(rest, 'text made only of whole tokens').toBe('');
  return out;
}

const KIND_TAG: Partial<Record<TranscriptMessage['kind'], string>> = { assistant: 'T', thought: 'H', user: 'U', system: 'N' };

/** Checks one message's text against its session id and kind. */
function expectTagged(m: TranscriptMessage): void {
  const tag = KIND_TAG[m.kind];
  if (tag === undefined || !('text' in m)) return;
  for (const token of tokens(m.text)) {
    expect(token.sid, `${m.kind} ${m.id} holds text of another session id`).toBe(m.sessionId);
    expect(token.kind, `${m.kind} ${m.id} holds ${token.kind} content`).toBe(tag);
  }
}

/** Walks the tree: every message with the session id its level must have. */
function walk(messages: readonly TranscriptMessage[], sessionId: string, visit: (m: TranscriptMessage) => void): void {
  const callIds = new Set<string>();
  for (const m of messages) {
    expect(m.sessionId).toBe(sessionId);
    visit(m);
    if (m.kind !== 'tool_call') continue;
    expect(callIds.has(m.toolCallId), `tool call ${m.toolCallId} twice`).toBe(false);
    callIds.add(m.toolCallId);
    for (const sub of m.subSessions) {
      // A sub-session is bound by its first event; one without events has no id and no messages.
      if (sub.sessionId === null) expect(sub.messages).toStrictEqual([]);
      else walk(sub.messages, sub.sessionId, visit);
    }
  }
}

function foldChecked(events: readonly ServerEvent[]): Transcript {
  const t = createTranscript();
  for (const e of events) {
    const messages = t.messages;
    const streaming = t.streaming;
    let change!: { messagesChanged: boolean; streamingChanged: boolean };
    expect(() => (change = t.apply(e))).not.toThrow();
    // The flags say exactly when the references changed.
    expect(t.messages !== messages, `messagesChanged after ${e.type}`).toBe(change.messagesChanged);
    expect(t.streaming !== streaming, `streamingChanged after ${e.type}`).toBe(change.streamingChanged);
    const now = t.streaming;
    if (now !== null) {
      expect(now.kind === 'assistant' || now.kind === 'thought').toBe(true);
      expectTagged(now);
      expect(now.sessionId).not.toBe(Z);
    }
  }
  return t;
}

describe('transcript properties', () => {
  it('text of one session id never lands in another, answer text never in a thought, ids unique, sub-sessions nested by brackets', () => {
    fc.assert(
      fc.property(scenario(true), (s) => {
        const { events } = build(s);
        const t = foldChecked(events);
        expect(t.streaming).toBeNull();
        const ids = new Set<string>();
        walk(t.messages, S, (m) => {
          expect(ids.has(m.id), `id ${m.id} twice`).toBe(false);
          ids.add(m.id);
          expectTagged(m);
        });
        // Nesting: the top-level delegation holds X, X's delegation holds Y.
        const deleg = t.messages.find((m) => m.kind === 'tool_call' && m.toolCallId === `${S}-deleg`);
        expect(deleg?.kind === 'tool_call' && deleg.subSessions.map((sub) => sub.sessionId)).toStrictEqual([X]);
        if (deleg?.kind === 'tool_call') {
          const inner = deleg.subSessions[0]!.messages.find((m) => m.kind === 'tool_call' && m.toolCallId === `${X}-deleg`);
          if (s.nested === null) expect(inner).toBeUndefined();
          else expect(inner?.kind === 'tool_call' && inner.subSessions.map((sub) => sub.sessionId)).toStrictEqual([Y]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the fast path for deltas folds exactly as the general path: same messages, same streaming message, same change flags', () => {
    let fastHits = 0;
    fc.assert(
      fc.property(scenario(true), (s) => {
        const { events } = build(s);
        const fast = createTranscript();
        const general = createTranscript({ fastDeltas: false });
        for (const e of events) {
          const before = fast.streaming;
          const a = fast.apply(e);
          const b = general.apply(e);
          expect(a, `change after ${e.type}`).toStrictEqual(b);
          expect(fast.streaming, `streaming after ${e.type}`).toStrictEqual(general.streaming);
          expect(fast.messages, `messages after ${e.type}`).toStrictEqual(general.messages);
          // count the deltas that continued a stream (the cases the fast path takes)
          if ((e.type === 'text_delta' || e.type === 'thought_delta') && before !== null && fast.streaming?.id === before.id) fastHits++;
        }
      }),
      { numRuns: 300 },
    );
    // the runs did exercise the fast path, many times
    expect(fastHits).toBeGreaterThan(500);
  });

  it('the data plane takes the fast path for deltas with the same result: same streaming$ and messages$ values, same streaming-kind edges', () => {
    /** A data plane folding from the start, and everything it told: values emitted and control hooks called. */
    const observed = (fastDeltas: boolean) => {
      const told: unknown[] = [];
      const plane = createDataPlane(() => 0, { conversationEvent: (event) => told.push(['event', event.type]), streamKind: (...edge) => told.push(['kind', ...edge]) }, { fastDeltas });
      plane.streaming$.subscribe((message) => told.push(['streaming', message]));
      plane.messages$.subscribe((messages) => told.push(['messages', messages]));
      return { sink: plane.sink, told };
    };
    let edges = 0;
    fc.assert(
      fc.property(scenario(true), (s) => {
        const { events } = build(s);
        const fast = observed(true);
        const general = observed(false);
        for (const e of events) {
          fast.sink.event(e, 1);
          general.sink.event(e, 1);
        }
        expect(fast.told).toStrictEqual(general.told);
        edges += fast.told.filter((entry) => (entry as unknown[])[0] === 'kind').length;
      }),
      { numRuns: 200 },
    );
    expect(edges).toBeGreaterThan(200); // the runs did change what streams, often
  });

  it('without history repairs, every session id keeps exactly the answer text it streamed, in order', () => {
    fc.assert(
      fc.property(scenario(false), (s) => {
        const { events, builder } = build(s);
        const t = foldChecked(events);
        const folded = new Map<string, string>();
        walk(t.messages, S, (m) => {
          if (m.kind === 'assistant') folded.set(m.sessionId, (folded.get(m.sessionId) ?? '') + m.text);
        });
        for (const sid of [S, X, Y]) expect(folded.get(sid) ?? '', sid).toBe((builder.texts.get(sid) ?? []).join(''));
        expect(folded.has(Z)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
