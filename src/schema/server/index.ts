/**
 * The union of every server → client event this library understands, and its inferred types.
 */
import * as v from 'valibot';
import { controlEventSchemas } from './control.js';
import { legacyEventSchemas } from './legacy.js';
import { runtimeEventSchemas } from './runtime.js';

const allServerEventSchemas = [...controlEventSchemas, ...runtimeEventSchemas, ...legacyEventSchemas] as const;

/** Any server event, discriminated by `type`. */
export const serverEventSchema = v.variant('type', allServerEventSchemas);

/** A validated server event. Narrow it with `event.type`. */
export type ServerEvent = v.InferOutput<typeof serverEventSchema>;
/** Every server event type name understood. */
export type ServerEventType = ServerEvent['type'];
/** The server event with the given `type`. */
export type ServerEventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

type ServerEventSchema = (typeof allServerEventSchemas)[number];

/** Schema per type name, so decoding looks a frame's schema up instead of scanning the variant. */
export const serverEventSchemaByType: ReadonlyMap<string, ServerEventSchema> = new Map(
  allServerEventSchemas.map((schema) => [schema.entries.type.literal, schema]),
);

/** Every server event type this server really sends (docs/protocol.md §3.2), in catalogue order. */
export const sentServerEventTypes = [...controlEventSchemas, ...runtimeEventSchemas].map(
  (schema) => schema.entries.type.literal,
);

/** Every server event type name understood, including the legacy spellings. */
export const serverEventTypes: readonly ServerEventType[] = Object.freeze(
  allServerEventSchemas.map((schema) => schema.entries.type.literal),
);

export * from './control.js';
export * from './legacy.js';
export * from './runtime.js';
