/**
 * The local viewer in a browser: its page (served by the viewer global-setup.ts starts in Node) runs
 * in an iframe, a client in this page sends its records there through `connectInspector`, and the
 * page shows them live. Checked on the page (read through Playwright: the iframe is cross-origin):
 * the `interaction:<session>` actor's state value (its element's `data-state`) reaches `streaming`
 * while a slow answer (`SLOW 30`: a delta every 150 ms) streams, and the outbox's `server` region is
 * `busy`; then the interaction is `done` and the outbox's server `idle`. A screenshot is saved.
 */
import { expect, inject, it, onTestFinished } from 'vitest';
import { commands, page } from 'vitest/browser';
import { createClient } from '../../src/index.js';
import { connectInspector } from '../../src/inspect/connect.js';

/** The `data-state` the viewer shows for the actor whose id starts with `id`. */
const state = (id: string) => () => commands.viewerAttribute(`[data-actor^="${id}"]`, 'data-state');
const text = (selector: string) => () => commands.viewerAttribute(selector, 'textContent');

it('shows the actors, their states and the answer streaming, live', async () => {
  await page.viewport(1280, 900);
  const iframe = document.createElement('iframe');
  iframe.src = inject('viewerUrl');
  iframe.title = 'agentc-inspect';
  iframe.setAttribute('data-testid', 'viewer');
  iframe.style.cssText = 'width: 1260px; height: 880px; border: 0;';
  document.body.append(iframe);
  onTestFinished(() => iframe.remove());
  await expect.poll(text('#status'), { timeout: 5_000 }).toBe('connected');

  const inspect = connectInspector({ url: inject('viewerWsUrl') });
  onTestFinished(() => inspect.close());
  const client = createClient({ url: inject('simHttpUrl'), auth: { username: 'admin', password: 'changeme' }, inspect });
  onTestFinished(() => client.dispose());
  await client.connect();
  await expect.poll(state('connection'), { timeout: 5_000 }).toMatch(/"ready"/);

  const answer = client.sendText('SLOW 30, please');
  await expect.poll(state('interaction:'), { timeout: 5_000 }).toMatch(/streaming/);
  await expect.poll(state('outbox'), { timeout: 5_000 }).toMatch(/"server":"busy"/);
  await answer;
  await expect.poll(state('interaction:'), { timeout: 5_000 }).toBe('"done"');
  await expect.poll(state('outbox'), { timeout: 5_000 }).toMatch(/"server":"idle"/);

  const shot = await page.screenshot({ path: '__screenshots__/inspector.test.ts/viewer.png', base64: true });
  expect(shot.path).toMatch(/viewer\.png$/);
  expect(shot.base64.startsWith('iVBORw0KGgo')).toBe(true); // a PNG
});
