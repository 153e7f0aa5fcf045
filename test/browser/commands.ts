/**
 * Browser commands (they run in Node, with Playwright): what the browser tests cannot do from the
 * page itself. The viewer's page runs in a cross-origin iframe, whose DOM the test cannot read, so
 * `viewerAttribute` reads it through Playwright.
 */
import type { BrowserCommand } from 'vitest/node';

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** An attribute (or, for `textContent`, the text) of the first element matching `selector` inside `iframe[data-testid="viewer"]`; null when there is none yet. */
    viewerAttribute(selector: string, name: string): Promise<string | null>;
  }
}

export const viewerAttribute: BrowserCommand<[selector: string, name: string]> = async (context, selector, name) => {
  const frame = await context.frame();
  const element = frame.frameLocator('iframe[data-testid="viewer"]').locator(selector).first();
  return (name === 'textContent' ? element.textContent({ timeout: 250 }) : element.getAttribute(name, { timeout: 250 })).catch(() => null);
};
