/** Returns the path of a Chromium executable, or undefined when none is found. CHROMIUM_BIN wins. */
export function findChromium(): string | undefined;
