/**
 * Inspection, offline: every actor's events and snapshots (the root and its children, the voice's
 * actors) as plain, serialisable records on `inspection$`, with the secrets taken out — JWTs and
 * `token=` values anywhere, every field named like a token, password or secret, and the raw JSON of
 * outbound commands (which carries, e.g., `set_avatar_session`'s access token). The app's own
 * inspector (`createClient({ inspect })`: `@statelyai/inspect`, or any observer) gets the same events
 * with their payloads and snapshot contexts redacted the same way.
 *
 * Nothing is serialised while nobody listens to `inspection$`.
 */
import { Subject, type Observable } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import type { InspectOption } from '../options.js';
import { REDACTED, redactSecrets, SECRET_FIELD } from '../schema/redact.js';

/** One inspection record. */
export interface InspectionRecord {
  /** `event`: an actor received an event; `snapshot`: its state changed; `actor`: it was created. */
  readonly kind: 'event' | 'snapshot' | 'actor';
  /** The actor's id (`client`, `auth`, `connection`, `conversation`, `turn`, `outbox`, `avatar`, `interaction:<session>`, `voice`, `capture`, …). */
  readonly actorId: string;
  /** Milliseconds since the epoch (the runtime's clock). */
  readonly at: number;
  /** The event received (`event`) or that caused the change (`snapshot`), redacted. */
  readonly event?: unknown;
  /** Who sent it, when an actor did. */
  readonly sourceId?: string;
  /** The state value after the change (`snapshot`). */
  readonly value?: unknown;
  /** The context after the change (`snapshot`), redacted. */
  readonly context?: unknown;
  /** `active`, `done`, `error` or `stopped`. */
  readonly status?: string;
}


/** A copy of `value` without secrets: JWT-shaped strings, secret-named fields, and the secrets inside JSON strings. */
export function redactForInspection(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, depth);
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => redactForInspection(item, depth + 1));
  if (!isPlain(value)) return `[${(value as object).constructor?.name ?? 'object'}]`;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(copy, key, {
      value: SECRET_FIELD.test(key) && item !== null && item !== undefined && item !== '' ? REDACTED : redactForInspection(item, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A string that holds JSON (an outbound frame) is redacted inside; any other string for JWTs and `token=`. */
function redactString(text: string, depth: number): string {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.stringify(redactForInspection(JSON.parse(text) as unknown, depth + 1));
    } catch {
      // not JSON after all
    }
  }
  return redactSecrets(text);
}

/** The id of the actor an inspection event is about. */
function actorIdOf(ref: { id?: string; sessionId?: string } | undefined): string {
  return ref?.id || ref?.sessionId || 'unknown';
}

/**
 * The serialisable record of one xstate inspection event (`@xstate.event`, `@xstate.snapshot`,
 * `@xstate.actor`), its event and context redacted; `undefined` for the other kinds (microsteps,
 * actions).
 */
export function toInspectionRecord(event: InspectionEvent, now: () => number): InspectionRecord | undefined {
  const actorId = actorIdOf(event.actorRef as { id?: string; sessionId?: string });
  switch (event.type) {
    case '@xstate.event':
      return {
        kind: 'event',
        actorId,
        at: now(),
        event: redactForInspection(event.event),
        ...(event.sourceRef ? { sourceId: actorIdOf(event.sourceRef as { id?: string; sessionId?: string }) } : {}),
      };
    case '@xstate.snapshot': {
      const snapshot = event.snapshot as { value?: unknown; context?: unknown; status?: string };
      return { kind: 'snapshot', actorId, at: now(), event: redactForInspection(event.event), value: snapshot.value, context: redactForInspection(snapshot.context), ...(snapshot.status ? { status: snapshot.status } : {}) };
    }
    case '@xstate.actor':
      return { kind: 'actor', actorId, at: now() };
    default:
      return undefined;
  }
}

/**
 * The inspection event the app's inspector gets: its event payload redacted and, for a snapshot, the
 * snapshot's context too (the snapshot keeps its methods, `toJSON` included, so `@statelyai/inspect`
 * serialises it as usual). An actor reference it is given is the live one: what an inspector reads
 * from it directly (`getSnapshot()`) is not redacted.
 */
function redactInspectionEvent(event: InspectionEvent): InspectionEvent {
  const payload = (event as { event?: unknown }).event;
  if (event.type === '@xstate.snapshot') {
    const snapshot = event.snapshot as { context?: unknown };
    return { ...event, event: redactForInspection(payload), snapshot: { ...snapshot, context: redactForInspection(snapshot.context) } } as unknown as InspectionEvent;
  }
  return payload === undefined ? event : ({ ...event, event: redactForInspection(payload) } as InspectionEvent);
}

/** What {@link createInspection} builds for a runtime. */
export interface Inspection {
  /** The inspect callback every actor of the client is created with. */
  readonly inspect: (event: InspectionEvent) => void;
  readonly inspection$: Observable<InspectionRecord>;
  /** Completes `inspection$` (dispose). */
  complete(): void;
}

/** Fans xstate's inspection events out to the app's inspector (payloads redacted) and to `inspection$`. */
export function createInspection(user: InspectOption | undefined, now: () => number): Inspection {
  const records = new Subject<InspectionRecord>();
  const toUser = user === undefined ? undefined : typeof user === 'function' ? user : (event: InspectionEvent) => user.next(event);

  const inspect = (event: InspectionEvent): void => {
    if (toUser) toUser(redactInspectionEvent(event));
    if (!records.observed) return;
    const record = toInspectionRecord(event, now);
    if (record) records.next(record);
  };
  return { inspect, inspection$: records.asObservable(), complete: () => records.complete() };
}
