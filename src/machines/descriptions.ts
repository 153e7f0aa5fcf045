/**
 * The states' descriptions, keyed `<machine id>.<state path>` (`outbox.server.busy`), for the local
 * viewer. Empty in the source, where every machine keeps its descriptions on its states; the shipped
 * machines leave them out (they are not read at run time, and they weigh on every app's bundle):
 * `npm run build` (scripts/strip-descriptions.mjs) moves them here, in dist. Only the inspect entry
 * imports this module.
 */
export const descriptions: Readonly<Record<string, string>> = {};
