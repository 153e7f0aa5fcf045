/**
 * The chat in plain DOM: each observable is subscribed once and writes to the elements it owns.
 * Observables emit their current value on subscribe, so the page is right from the first render.
 */
import { ClientError, createClient, type TranscriptMessage } from 'agentc-realtime';
import { config } from './config.js';

const client = createClient({ url: config.url, auth: { username: config.username, password: config.password } });

const element = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;
const status = element('status');
const connectButton = element<HTMLButtonElement>('connect');
const agentPicker = element<HTMLSelectElement>('agent');
const list = element<HTMLUListElement>('messages');
const errorList = element<HTMLUListElement>('errors');
const form = element<HTMLFormElement>('composer');
const input = element<HTMLInputElement>('input');
const sendButton = element<HTMLButtonElement>('send');
const cancelButton = element<HTMLButtonElement>('cancel');

/** Shows an error: from `errors$`, or a command that rejected. */
function report(error: unknown): void {
  const item = document.createElement('li');
  item.textContent = error instanceof ClientError ? `${error.reason}: ${error.message}` : String(error);
  errorList.append(item);
  while (errorList.children.length > 5) errorList.firstElementChild!.remove();
}

function textOf(message: TranscriptMessage): string {
  if (message.kind === 'tool_call') return `🔧 ${message.name}`;
  if (message.kind === 'media') return message.contentType.startsWith('text/') && message.content ? message.content : `[${message.contentType}]`; // as text, never as HTML
  return message.text;
}

function renderMessage(message: TranscriptMessage, item = document.createElement('li')): HTMLLIElement {
  item.dataset.kind = message.kind;
  item.dataset.stop = message.kind === 'assistant' ? (message.stopReason ?? '') : '';
  item.textContent = textOf(message);
  return item;
}

// the connection: a badge, and the Connect button while there is no connection
client.connection$.subscribe(({ state }) => {
  status.textContent = state;
  status.dataset.state = state;
  connectButton.hidden = !['idle', 'closed', 'failed'].includes(state);
  sendButton.disabled = state !== 'ready';
  agentPicker.disabled = state !== 'ready';
});
connectButton.addEventListener('click', () => client.connect().catch(() => {})); // the cause also arrives on errors$

// the agent picker: the catalogue's agents, the current one as the server confirmed it
let currentAgent = '';
client.catalog$.subscribe(({ agents }) => {
  agentPicker.replaceChildren(...agents.map((agent) => new Option(agent.name, agent.key)));
  agentPicker.value = currentAgent;
});
client.currentSession$.subscribe((session) => {
  currentAgent = session?.agent_config?.key ?? '';
  agentPicker.value = currentAgent;
  agentPicker.dataset.agent = currentAgent;
});
agentPicker.addEventListener('change', () => {
  client.setAgent(agentPicker.value).catch((error: unknown) => {
    agentPicker.value = currentAgent;
    report(error);
  });
});

// the transcript: finished messages, then the one being streamed
const streamingItem = document.createElement('li');
streamingItem.dataset.streaming = 'true';
client.messages$.subscribe((messages) => {
  list.replaceChildren(...messages.map((message) => renderMessage(message)));
  if (streamingItem.dataset.kind) list.append(streamingItem);
  list.scrollTop = list.scrollHeight;
});
client.streaming$.subscribe((message) => {
  if (message) {
    renderMessage(message, streamingItem);
    if (!streamingItem.isConnected) list.append(streamingItem);
  } else {
    delete streamingItem.dataset.kind;
    streamingItem.remove();
  }
});

// sending, and cancelling while an answer streams
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  client.sendText(text).catch(report);
});
client.interaction$.subscribe((interaction) => {
  cancelButton.hidden = interaction === null;
});
cancelButton.addEventListener('click', () => client.cancel().catch(report));

client.errors$.subscribe(report);

// closes the socket when the page goes away (bfcache or not)
window.addEventListener('pagehide', () => client.dispose());
