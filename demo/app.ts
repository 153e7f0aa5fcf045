/**
 * The demo page: plain DOM over the public API only (`agentc-realtime`, `agentc-realtime/audio`,
 * `agentc-realtime/heygen`). Each panel subscribes to one or two observables and renders them; each
 * control calls one command and shows its failure as a toast. The server (demo/server.mjs) hands the
 * page its settings at `/config.json` and injects faults on `POST /faults/<name>`.
 */
import { ClientError, createClient, type ClientMetrics, type ConnectionStatus, type InspectionRecord, type Latency, type RealtimeClient, type SubSession, type TranscriptMessage } from 'agentc-realtime';
import { createVoice, type Voice } from 'agentc-realtime/audio';
import { createHeyGenAdapter } from 'agentc-realtime/heygen';
import type { ObservedValueOf } from 'rxjs';

/** What `/config.json` holds. */
interface DemoConfig {
  readonly apiUrl: string;
  readonly auth: { readonly username: string; readonly password: string };
  /** The built-in simulator (its `full` profile understands push-to-talk events). */
  readonly simulator: boolean;
  readonly heygenApiBase: string | null;
  /** The fault endpoints that work (none against a real server). */
  readonly faults: readonly string[];
}

type SessionEntry = ObservedValueOf<RealtimeClient['sessions$']>[number];

// ---------------------------------------------------------------- DOM helpers

const byTestId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`The page has no [data-testid="${id}"]`);
  return element;
};

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | boolean | undefined> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') element.className = String(value);
    else element.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
}

const describe = (error: unknown): { reason: string; message: string } =>
  error instanceof ClientError ? { reason: error.reason, message: error.message } : { reason: error instanceof Error ? error.name : 'error', message: error instanceof Error ? error.message : String(error) };

/** Shows a problem for a while (click to dismiss); never more than five at once. */
function toast(error: unknown): void {
  const { reason, message } = describe(error);
  const box = byTestId('errors');
  const item = h('div', { class: 'toast', 'data-testid': 'error-toast', 'data-reason': reason }, h('b', {}, reason), message);
  item.addEventListener('click', () => item.remove());
  box.append(item);
  while (box.children.length > 5) box.firstElementChild?.remove();
  setTimeout(() => item.remove(), 10_000);
}

/** Runs a command; its failure becomes a toast. */
const run = (command: () => Promise<unknown>): void => void command().catch(toast);

const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(2)} MB`);
const formatMs = (latency: Latency) => (latency.last === null ? '–' : `${Math.round(latency.last)} ms` + (latency.count > 1 ? ` (mean ${Math.round(latency.mean ?? 0)}, n=${latency.count})` : ''));
const time = (at: number) => new Date(at).toLocaleTimeString([], { hour12: false });
/** A session's timestamp (ISO text from the server) as a short time, or nothing when it is not a date. */
function shortTime(iso: string | null | undefined): string {
  const at = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) return '';
  const date = new Date(at);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }) : date.toLocaleDateString();
}

function fillStats(list: HTMLElement, rows: readonly (readonly [string, string])[]): void {
  list.replaceChildren(...rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', { 'data-stat': label }, value)]));
}

function fillSelect(select: HTMLSelectElement, options: readonly { value: string; label: string }[], current: string | null): void {
  const key = JSON.stringify(options);
  if (select.dataset.options !== key) {
    select.replaceChildren(...options.map((option) => h('option', { value: option.value }, option.label)));
    select.dataset.options = key;
  }
  if (current !== null) select.value = current;
  select.disabled = options.length === 0;
}

// ---------------------------------------------------------------- markdown (a safe subset, as DOM nodes)

/** Inline markdown: `code`, **bold**, *italic*; everything else is text (never HTML). */
function inline(text: string): Node[] {
  const nodes: Node[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*/g;
  let at = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    nodes.push(match[1] !== undefined ? h('code', {}, match[1]) : match[2] !== undefined ? h('strong', {}, match[2]) : h('em', {}, match[3]));
    at = match.index + match[0].length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

/** Block markdown: headings, `-` lists, `:::` callout fences dropped, paragraphs; built with DOM nodes only. */
function markdown(text: string): HTMLElement {
  const root = h('div', { class: 'md' });
  let list: HTMLUListElement | null = null;
  for (const line of text.split('\n')) {
    const item = /^\s*[-*] (.*)$/.exec(line);
    if (item) {
      list ??= root.appendChild(h('ul'));
      list.append(h('li', {}, ...inline(item[1]!)));
      continue;
    }
    list = null;
    if (/^:::/.test(line)) {
      const label = line.slice(3).trim();
      if (label) root.append(h('div', { class: 'callout' }, label.toLowerCase()));
      continue;
    }
    const heading = /^(#{1,4}) (.*)$/.exec(line);
    if (heading) root.append(h('div', { class: 'md-heading' }, ...inline(heading[2]!)));
    else if (line.trim() !== '') root.append(h('p', {}, ...inline(line)));
  }
  return root;
}

// ---------------------------------------------------------------- transcript

/** One message as an element (sub-sessions nested inside their tool call). */
function renderMessage(m: TranscriptMessage, streaming = false): HTMLElement {
  const base = { 'data-testid': streaming ? 'streaming' : 'message', 'data-kind': m.kind, 'data-id': m.id, 'data-session': m.sessionId, class: `msg ${m.kind}${streaming ? ' streaming' : ''}` };
  switch (m.kind) {
    case 'user':
      return h('div', { ...base, class: `${base.class}${m.pending ? ' pending' : ''}` }, m.text);
    case 'assistant': {
      const outcome = m.interactionId === null ? undefined : outcomes.get(m.interactionId);
      return h(
        'div',
        { ...base, 'data-interaction': m.interactionId ?? undefined, 'data-outcome': outcome, 'data-complete': String(m.complete), 'data-stop-reason': m.stopReason ?? '' },
        m.format === 'markdown' || m.format === 'text' || m.format === '' ? markdown(m.text) : m.text,
        h('span', { class: 'meta', hidden: assistantMeta(m, outcome, streaming) === '' }, assistantMeta(m, outcome, streaming)),
      );
    }
    case 'thought':
      return h('div', { ...base, 'data-complete': String(m.complete) }, h('span', { class: 'meta' }, 'thinking'), m.text);
    case 'tool_call': {
      const details = h(
        'details',
        { ...base, 'data-status': m.status },
        h('summary', {}, h('span', { class: 'tool-label' }, 'tool'), ` ${m.name} `, h('span', { class: 'muted small' }, m.status)),
        h('pre', {}, typeof m.input === 'string' ? m.input : JSON.stringify(m.input, null, 2)),
        m.result === null || m.result === undefined ? null : h('pre', { 'data-testid': 'tool-result' }, typeof m.result === 'string' ? m.result : JSON.stringify(m.result, null, 2)),
      );
      for (const sub of m.subSessions) details.append(renderSubSession(sub));
      if (m.subSessions.length > 0 || m.status !== 'done') details.open = true;
      return details;
    }
    case 'media':
      // shown as text: markdown or HTML from a tool is never injected into the page
      return h(
        'div',
        { ...base, 'data-foreign': String(m.foreign) },
        h('span', { class: 'meta' }, `media (${m.contentType})`),
        m.contentType === 'text/markdown' && m.content !== null ? markdown(m.content) : (m.content ?? m.url ?? ''),
      );
    case 'system':
      return h('div', { ...base, 'data-severity': m.severity }, m.text);
    case 'error':
      return h('div', base, `Error${m.source ? ` (${m.source})` : ''}: ${m.text}`);
  }
}

/** How an interaction ended (what `sendText` resolved with), by interaction id. */
const outcomes = new Map<string, string>();

/** The line under an answer: how it ended, when that is not the plain end. */
function assistantMeta(m: Extract<TranscriptMessage, { kind: 'assistant' }>, outcome: string | undefined, streaming: boolean): string {
  if (outcome && outcome !== 'done') return `answer ${outcome}`;
  if (m.complete) return m.stopReason === null || m.stopReason === 'stop' || m.stopReason === 'tool_calls' ? '' : `stopped: ${m.stopReason}`;
  return streaming ? '' : 'incomplete (the answer was cut)';
}

/** Marks the answers of an interaction with how it ended (they may be on screen already). */
function markOutcome(interactionId: string, outcome: string): void {
  outcomes.set(interactionId, outcome);
  for (const element of document.querySelectorAll<HTMLElement>(`[data-testid="message"][data-kind="assistant"][data-interaction="${CSS.escape(interactionId)}"]`)) {
    element.dataset.outcome = outcome;
    const meta = element.querySelector<HTMLElement>('.meta');
    if (meta && outcome !== 'done') {
      meta.textContent = `answer ${outcome}`;
      meta.hidden = false;
    }
  }
}

function renderSubSession(sub: SubSession): HTMLElement {
  const box = h(
    'div',
    { class: 'subsession', 'data-testid': 'subsession', 'data-subsession-id': sub.sessionId ?? '', 'data-ended': String(sub.ended) },
    h('span', { class: 'label' }, `sub-agent: ${sub.subAgentKey}${sub.ended ? '' : ' (working…)'}`),
  );
  for (const message of sub.messages) box.append(renderMessage(message));
  return box;
}

/** Keeps one element per message, re-rendering only the messages that changed (a new object). */
function createTranscriptView(list: HTMLElement, scroller: HTMLElement) {
  let rendered = new Map<string, { message: TranscriptMessage; element: HTMLElement }>();
  let streamingElement: HTMLElement | null = null;
  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const keepScrolled = (wasNear: boolean) => {
    if (wasNear) scroller.scrollTop = scroller.scrollHeight;
  };
  return {
    messages(messages: readonly TranscriptMessage[]) {
      const wasNear = nearBottom();
      const next = new Map<string, { message: TranscriptMessage; element: HTMLElement }>();
      const elements = messages.map((message) => {
        const old = rendered.get(message.id);
        if (old && old.message === message) {
          next.set(message.id, old);
          return old.element;
        }
        const element = renderMessage(message);
        if (old && old.element instanceof HTMLDetailsElement && element instanceof HTMLDetailsElement && old.element.open) element.open = true;
        next.set(message.id, { message, element });
        return element;
      });
      rendered = next;
      list.replaceChildren(...elements);
      if (streamingElement) this.place(streamingElement);
      keepScrolled(wasNear);
    },
    streaming(message: TranscriptMessage | null) {
      const wasNear = nearBottom();
      streamingElement?.remove();
      streamingElement = message ? renderMessage(message, true) : null;
      if (streamingElement) this.place(streamingElement);
      keepScrolled(wasNear);
    },
    /** A sub-agent's message streams inside its sub-session; the agent's at the end. */
    place(element: HTMLElement) {
      const session = element.dataset.session ?? '';
      const sub = session ? list.querySelector<HTMLElement>(`[data-subsession-id="${CSS.escape(session)}"]`) : null;
      (sub ?? list).append(element);
    },
  };
}

// ---------------------------------------------------------------- statecharts

/** A state value as its active leaf paths (`attempt.phase.ready`), parallel regions one a line. */
function stateText(value: unknown): string {
  const leaves = (node: unknown, prefix: string): string[] => {
    if (typeof node === 'string') return [`${prefix}${node}`];
    if (node === null || typeof node !== 'object') return [`${prefix}${String(node)}`];
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 0) return [prefix.slice(0, -1)];
    return entries.flatMap(([key, inner]) => leaves(inner, `${prefix}${key}.`));
  };
  return leaves(value, '').join('\n');
}

function createStatesView(table: HTMLTableElement) {
  const actors = new Map<string, { state: string; status: string }>();
  let scheduled = false;
  const render = () => {
    scheduled = false;
    const rows = [...actors.entries()].map(([id, { state, status }]) =>
      h('tr', { 'data-actor': id, 'data-state': state, class: status === 'active' ? undefined : 'stopped' }, h('td', {}, id), h('td', {}, status === 'active' ? state : `${state} (${status})`)),
    );
    table.tBodies[0]!.replaceChildren(...rows);
  };
  return (record: InspectionRecord) => {
    if (record.kind !== 'snapshot' || record.value === undefined) return;
    const previous = actors.get(record.actorId);
    const next = { state: stateText(record.value), status: record.status ?? 'active' };
    if (previous && previous.state === next.state && previous.status === next.status) return;
    actors.set(record.actorId, next);
    // finished interactions leave; the rest stay listed
    if (next.status !== 'active' && record.actorId.startsWith('interaction:')) setTimeout(() => actors.delete(record.actorId), 3000);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  };
}

// ---------------------------------------------------------------- the page

async function loadConfig(): Promise<DemoConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /config.json answered HTTP ${response.status}`);
  return (await response.json()) as DemoConfig;
}

function start(config: DemoConfig): { client: RealtimeClient; voice: Voice } {
  byTestId('server').textContent = config.simulator ? `simulator at ${config.apiUrl}` : config.apiUrl;
  const client = createClient({
    url: config.apiUrl,
    auth: { username: config.auth.username, password: config.auth.password },
    avatarAdapter: createHeyGenAdapter(config.heygenApiBase ? { apiBase: config.heygenApiBase } : {}),
  });
  const voice = createVoice(client, { mode: 'ptt', worklet: '/capture.worklet.js', serverInputModes: config.simulator });

  client.errors$.subscribe(toast);
  client.inspection$.subscribe(createStatesView(byTestId<HTMLTableElement>('states')));

  // ---- connection: badge, stats, a timeline of state$ (connection and auth)
  const badge = byTestId('connection-state');
  const timeline = byTestId('timeline');
  client.connection$.subscribe((status: ConnectionStatus) => {
    badge.textContent = status.state;
    badge.dataset.state = status.state;
    fillStats(byTestId('stats'), [
      ['state', status.state],
      ['attempts', String(status.attempts)],
      ['round trip', status.roundTripTime === null ? '–' : `${Math.round(status.roundTripTime)} ms`],
      ['connected at', status.connectedAt === null ? '–' : time(status.connectedAt)],
      ['messages', `${status.messagesSent} sent, ${status.messagesReceived} received`],
      ['bytes', `${formatBytes(status.bytesSent)} sent, ${formatBytes(status.bytesReceived)} received`],
      ['UI session', status.uiSessionId ?? '–'],
      ['last error', status.lastError ? `${status.lastError.reason}: ${status.lastError.message}` : '–'],
    ]);
  });
  client.state$.subscribe((view) => {
    timeline.append(h('li', { 'data-connection': view.connection, 'data-auth': view.auth }, `${time(Date.now())} ${view.connection} · auth ${view.auth} · turn ${view.turn}`));
    while (timeline.children.length > 40) timeline.firstElementChild?.remove();
    timeline.scrollTop = timeline.scrollHeight;
  });
  client.metrics$.subscribe((metrics: ClientMetrics) =>
    fillStats(byTestId('metrics'), [
      ['connect (open)', formatMs(metrics.connectOpen)],
      ['connect (init)', formatMs(metrics.connectInitialize)],
      ['reconnect → ready', formatMs(metrics.reconnectToReady)],
      ['text → 1st delta', formatMs(metrics.timeToFirstDelta)],
      ['cancel → confirmed', formatMs(metrics.cancelToConfirmed)],
      ['cancel → silence', formatMs(metrics.cancelToSilence)],
      ['time ready', `${((metrics.timeInState['ready'] ?? 0) / 1000).toFixed(1)} s`],
    ]),
  );
  client.user$.subscribe((user) => (byTestId('user').textContent = user ? `signed in as ${user.user_name ?? user.user_id}` : ''));

  // ---- chat
  const view = createTranscriptView(byTestId('messages'), byTestId('transcript'));
  client.messages$.subscribe((messages) => {
    view.messages(messages);
    byTestId('hint').hidden = messages.length > 0;
  });
  client.streaming$.subscribe((message) => view.streaming(message));

  const input = byTestId<HTMLTextAreaElement>('message-input');
  const sendButton = byTestId<HTMLButtonElement>('send');
  const cancelButton = byTestId<HTMLButtonElement>('cancel');
  const activity = byTestId('activity');
  let connected = false;
  client.connection$.subscribe((status) => {
    connected = status.state === 'ready';
    sendButton.disabled = !connected;
  });
  client.interaction$.subscribe((interaction) => {
    cancelButton.disabled = interaction === null;
    activity.dataset.state = interaction?.state ?? 'idle';
    activity.textContent =
      interaction === null ? '' : interaction.state === 'suspended' ? 'the connection is lost; the server goes on with the answer…' : `agent: ${interaction.streaming ?? interaction.state}…`;
  });
  const submit = () => {
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    // a new message while an answer streams interrupts it (cancel first, then send)
    run(async () => {
      const result = await client.sendText(text, { interrupt: true });
      if (result.outcome !== 'command' && result.interactionId !== null) markOutcome(result.interactionId, result.outcome);
    });
  };
  byTestId('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (connected) submit();
    }
  });
  cancelButton.addEventListener('click', () => run(() => client.cancel()));
  for (const suggestion of document.querySelectorAll<HTMLButtonElement>('[data-suggest]')) {
    suggestion.addEventListener('click', () => {
      input.value = suggestion.dataset.suggest ?? '';
      input.focus();
    });
  }

  // ---- agents and sessions
  const agentPicker = byTestId<HTMLSelectElement>('agent-picker');
  let agents: ObservedValueOf<RealtimeClient['catalog$']>['agents'] = [];
  let currentAgent: string | null = null;
  let currentSessionId: string | null = null;
  const showAgent = () => {
    fillSelect(
      agentPicker,
      agents.map((agent) => ({ value: agent.key, label: agent.name })),
      currentAgent,
    );
    byTestId('agent-description').textContent = agents.find((agent) => agent.key === currentAgent)?.agent_description ?? '';
  };
  client.catalog$.subscribe((catalog) => {
    agents = catalog.agents;
    showAgent();
    fillSelect(
      byTestId<HTMLSelectElement>('avatar-picker'),
      catalog.avatars.map((avatar) => ({ value: avatar.avatar_id, label: avatar.pose_name ?? avatar.avatar_id })),
      null,
    );
  });
  client.currentSession$.subscribe((session) => {
    currentAgent = session?.agent_config?.key ?? null;
    currentSessionId = session?.session_id ?? null;
    showAgent();
    for (const item of byTestId('sessions').children) item.classList.toggle('current', (item as HTMLElement).dataset.sessionId === currentSessionId);
  });
  agentPicker.addEventListener('change', () => run(() => client.setAgent(agentPicker.value)));

  const sessions = byTestId('sessions');
  const newSession = byTestId<HTMLButtonElement>('new-session');
  client.connection$.subscribe((status) => (newSession.disabled = status.state !== 'ready'));
  newSession.addEventListener('click', () => run(() => client.newSession(currentAgent ?? undefined)));
  client.sessions$.subscribe((entries: readonly SessionEntry[]) => {
    sessions.replaceChildren(
      ...entries.map((entry) => {
        const remove = h('button', { type: 'button', title: 'Delete this session', 'data-testid': 'session-delete' }, '×');
        remove.addEventListener('click', (event) => {
          event.stopPropagation();
          run(() => client.deleteSession(entry.session_id));
        });
        const item = h(
          'li',
          { 'data-testid': 'session', 'data-session-id': entry.session_id, class: entry.session_id === currentSessionId ? 'current' : undefined, title: `${entry.session_name || 'Untitled chat'} (${entry.session_id})` },
          h('span', { class: 'name' }, entry.session_name || 'Untitled chat'),
          h('span', { class: 'muted small' }, [entry.agent_name, shortTime(entry.updated_at ?? entry.created_at)].filter(Boolean).join(' · ')),
          remove,
        );
        item.addEventListener('click', () => {
          if (entry.session_id !== currentSessionId) run(() => client.resumeSession(entry.session_id));
        });
        return item;
      }),
    );
    if (entries.length === 0) sessions.append(h('li', { class: 'muted small' }, 'No saved chats yet (a chat is saved once it has a message).'));
  });

  // ---- voice: the agent's voice, push-to-talk with a level meter, spoken answers
  const voicePicker = byTestId<HTMLSelectElement>('voice-picker');
  client.voices$.subscribe(({ voices, current }) =>
    fillSelect(
      voicePicker,
      voices.map((v) => ({
        value: v.voice_id,
        label: v.voice_id === 'none' ? 'none (text only)' : v.description && v.description !== v.voice_id ? `${v.description} (${v.vendor})` : `${v.voice_id} (${v.vendor})`,
      })),
      current?.voice_id ?? null,
    ),
  );
  voicePicker.addEventListener('change', () => run(() => client.setVoice(voicePicker.value)));

  // browsers keep audio suspended until a user gesture: the first one unlocks playback
  const unlock = () => run(() => voice.unlock());
  document.addEventListener('pointerdown', unlock, { once: true });
  document.addEventListener('keydown', unlock, { once: true });

  const ptt = byTestId<HTMLButtonElement>('ptt');
  const level = byTestId('level');
  let held = false;
  let micState = 'idle';
  const press = async () => {
    held = true;
    ptt.classList.add('held');
    await voice.unlock();
    if (micState !== 'ready' && micState !== 'recording') await voice.start();
    voice.pushToTalk(held); // released while the microphone opened: nothing is sent
  };
  const release = () => {
    if (!held) return;
    held = false;
    ptt.classList.remove('held');
    voice.pushToTalk(false);
  };
  ptt.addEventListener('pointerdown', (event) => {
    ptt.setPointerCapture(event.pointerId);
    run(press);
  });
  ptt.addEventListener('pointerup', release);
  ptt.addEventListener('pointercancel', release);
  ptt.addEventListener('keydown', (event) => {
    if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
      event.preventDefault();
      run(press);
    }
  });
  ptt.addEventListener('keyup', (event) => {
    if (event.key === ' ' || event.key === 'Enter') release();
  });
  client.connection$.subscribe((status) => (ptt.disabled = status.state !== 'ready' && !held));
  const showLevel = (value: number) => {
    level.style.width = `${Math.round(value * 100)}%`;
    level.dataset.level = value.toFixed(2);
  };
  voice.level$.subscribe(showLevel);
  voice.input$.subscribe((input) => {
    micState = input.state;
    byTestId('voice-state').dataset.chunksSent = String(input.chunksStreamed);
    if (input.state === 'idle') showLevel(0);
  });
  voice.state$.subscribe((state) => {
    const line = byTestId('voice-state');
    line.dataset.input = state.input;
    line.dataset.output = state.output;
    line.textContent = [
      `microphone ${state.input}`,
      state.streaming ? 'sending speech' : null,
      state.output === 'playing' ? 'the agent speaks' : state.output === 'interrupted' ? 'speech interrupted' : null,
      state.audioContext === 'suspended' ? 'audio locked until you click' : null,
      state.lastError ? `${state.lastError.reason}: ${state.lastError.message}` : null,
    ]
      .filter(Boolean)
      .join(' · ');
  });
  voice.output$.subscribe((output) => (byTestId('voice-state').dataset.voice = output.voiceModel?.voice_id ?? ''));
  const volume = byTestId<HTMLInputElement>('volume');
  volume.addEventListener('input', () => voice.setVolume(Number(volume.value)));

  // ---- avatar
  const avatarPicker = byTestId<HTMLSelectElement>('avatar-picker');
  const avatarStart = byTestId<HTMLButtonElement>('avatar-start');
  const avatarStop = byTestId<HTMLButtonElement>('avatar-stop');
  let avatarState = 'none';
  const avatarButtons = () => {
    avatarStart.disabled = !connected || avatarPicker.disabled || (avatarState !== 'none' && avatarState !== 'failed');
    avatarStop.disabled = avatarState === 'none';
  };
  client.connection$.subscribe(avatarButtons);
  client.catalog$.subscribe(avatarButtons);
  client.avatar$.subscribe((avatar) => {
    avatarState = avatar.state;
    const panel = byTestId('avatar');
    panel.dataset.state = avatar.state;
    panel.dataset.speaking = String(avatar.speaking);
    byTestId('avatar-state').textContent =
      avatar.state === 'none'
        ? 'no avatar'
        : [
            avatar.state,
            avatar.session ? `session ${avatar.session.sessionId.slice(0, 12)}…` : null,
            avatar.ready ? (avatar.speaking ? 'talking' : 'listening') : avatar.state === 'connected' ? 'stream starting…' : null,
            avatar.error ? `${avatar.error.reason}: ${avatar.error.message}` : null,
          ]
            .filter(Boolean)
            .join(' · ');
    avatarButtons();
  });
  avatarStart.addEventListener('click', () => run(() => client.setAvatar(avatarPicker.value)));
  avatarStop.addEventListener('click', () => run(() => client.clearAvatar()));

  // ---- faults
  const faultResult = byTestId('fault-result');
  if (config.faults.length === 0) {
    faultResult.dataset.ok = 'false';
    faultResult.textContent = 'Fault buttons need the built-in simulator (this page talks to a real server).';
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-fault]')) {
    button.addEventListener('click', () =>
      run(async () => {
        const name = button.dataset.fault!;
        faultResult.textContent = `${name}…`;
        delete faultResult.dataset.ok;
        const response = await fetch(`/faults/${name}`, { method: 'POST', headers: { 'x-agentc-demo': '1' } });
        const body = (await response.json().catch(() => ({ ok: false, message: `HTTP ${response.status}` }))) as { ok: boolean; message: string };
        faultResult.dataset.ok = String(body.ok);
        faultResult.dataset.fault = name;
        faultResult.textContent = body.message;
      }),
    );
  }

  // ---- go
  run(async () => {
    await client.connect();
    await client.listSessions();
  });
  return { client, voice };
}

function showPageError(error: unknown): void {
  const box = byTestId('page-error');
  box.hidden = false;
  box.textContent = `The demo could not start: ${describe(error).message}`;
}

window.addEventListener('error', (event) => toast(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => toast(event.reason));

loadConfig().then(
  (config) => {
    try {
      const demo = start(config);
      // for the console: agentcDemo.client, agentcDemo.voice
      (window as unknown as { agentcDemo: unknown }).agentcDemo = demo;
      window.addEventListener('pagehide', () => demo.client.dispose());
    } catch (error) {
      showPageError(error);
    }
  },
  (error: unknown) => showPageError(error),
);
