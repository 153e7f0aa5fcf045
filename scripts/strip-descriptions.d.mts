/** Blanks out the state descriptions of one built machine module; returns them by `<machine id>.<state path>`. */
export function stripDescriptions(text: string, fileName?: string): { text: string; descriptions: Record<string, string> };
