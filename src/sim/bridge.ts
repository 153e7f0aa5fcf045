/**
 * One UI session (a browser tab) on the simulated server, the counterpart of the server's
 * RealtimeBridge: it outlives sockets, processes frames strictly in order, runs interactions in the
 * background, and applies the pre-emption rule and the routing filter (docs/protocol.md §1.5, §1.6).
 */
import { agentCatalog, agentConfig, AVATARS, findAgent, sessionTools, toolCatalog, TOOLSET_NAMES, VOICES, type AgentDefinition } from './catalog.js';
import { pythonStrip } from '../schema/text.js';
import { pyJson, pyString } from './pyjson.js';
import { HardCancel, runInteraction, RuntimeCrash, type RuntimeHost } from './runtime.js';
import { planFor } from './scripts.js';
import type { FakeHeyGen } from './heygen.js';
import type { SimSocket } from './socket.js';
import { indexEntry, isoTime, serializeSession, type ChatSessionRecord, type Store, type UserRecord } from './store.js';
import { parseClientFrame } from './validate.js';
import { VoiceChannel } from './voice-channel.js';
import type { SimulatorFrames, SimulatorProfile, SimulatorQuirks } from './types.js';

/** What every bridge shares: the store, options and the other bridges (for broadcasts). */
export interface BridgeContext {
  readonly store: Store;
  readonly profile: SimulatorProfile;
  readonly quirks: SimulatorQuirks;
  readonly seed: number;
  readonly deltaMs: number;
  /** The fake HeyGen, when the simulator has HeyGen (a HeyGen key is configured). */
  readonly heygen: FakeHeyGen | null;
  readonly firehoseDeltas: number;
  readonly frames: SimulatorFrames;
  /** The real server's handler latencies (§13 item 9). */
  readonly realisticTiming: boolean;
  /** Whether an interaction already ran since the simulator started (the first one is slower). */
  warm: boolean;
  readonly random: () => number;
  readonly slug: (words: number) => string;
  readonly now: () => number;
  /** Extra delay of a client event type's handler (stall fault). */
  readonly stalls: ReadonlyMap<string, number>;
  /** Sends an event to every UI session of a user (routing filter applies per session). */
  broadcast(userId: string, event: Record<string, unknown>): void;
}

/** Client events that never pre-empt a running interaction (§1.5 rule 6). */
const NON_PREEMPTING = new Set(['ping', 'pong', 'client_wants_cancel']);
const COMMANDS = ['!help', '!fork', '!rewind', '!alw', '!load_agents', '!load_bocks', '!preview_prompt', '!tool_info', '!equip', '!remove', '!call'];

/** What `set_avatar_session` makes the avatar say, misspelt as the server does (§4.8). */
const AVATAR_GREETING = 'Avtar bridge connected to avatar session';

/** The real server's inline `get_agents` handler time (§13 item 9). */
const GET_AGENTS_MS = 500;
/**
 * From `text_input` to the user message: ~75 ms for the first interaction after the server
 * started (the recordings' only slow one), a few ms after that (§13 item 9).
 */
const FIRST_USER_MESSAGE_MS = 75;
const USER_MESSAGE_MS = 5;
/**
 * Streamed events sent before the runtime yields to the event loop, so that frames (ping, cancel,
 * pre-empting events) get in between; the socket writes them in one `writev`.
 */
const YIELD_EVERY = 32;

/** The welcome block of a fresh UI session (§13 item 10): a markdown `:::TIP` block. */
function welcome(agentName: string, returning: boolean): string {
  return returning
    ? `:::TIP Welcome back\n\nYou are talking to **${agentName}** again.\n\nYour conversation is below; ask anything to go on.\n:::\n`
    : `:::TIP Welcome to Agent C\n\nYou are talking to **${agentName}**.\n\nAsk anything, or type \`!help\` for the chat commands.\n:::\n`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface InteractionTask {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class Bridge {
  socket: SimSocket | null = null;
  chat: ChatSessionRecord;
  private queue: { data: string | Buffer; binary: boolean }[] = [];
  private processing = false;
  private task: InteractionTask | null = null;
  private cancelFlag = false;
  private voiceId = 'none';
  private avatarSession: Record<string, unknown> | null = null;
  /** The server drops its HeyGen client when an avatar session ends (§4.7 bug). */
  private heygenClient: boolean;
  private readonly voice: VoiceChannel | null;
  private closed = false;
  /** What the client's microphone sent (binary frames), for tests to check (not protocol). */
  readonly audioIn = { frames: 0, samples: 0, sumSquares: 0, zeroCrossings: 0, last: 0 };

  constructor(
    readonly uiSessionId: string,
    readonly user: UserRecord,
    chat: ChatSessionRecord,
    private readonly ctx: BridgeContext,
  ) {
    this.chat = chat;
    this.heygenClient = ctx.heygen !== null;
    this.voice =
      ctx.profile === 'full'
        ? new VoiceChannel({
            onUtterance: (seconds) => this.enqueueVoiceTurn(seconds),
            sendAudio: (pcm) => this.socket?.sendBinary(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)),
          }, ctx.seed)
        : null;
  }

  get interactionRunning(): boolean {
    return this.task !== null;
  }

  // ---------------------------------------------------------------- sockets

  /** Attaches a socket: the full initialization burst for a new UI session, the short form on reconnect (§7.1, §7.2). */
  attach(socket: SimSocket, fresh: boolean): void {
    const previous = this.socket;
    this.socket = socket;
    if (previous && previous !== socket) previous.close(1000);
    if (fresh) {
      this.sendEvent({ type: 'ui_session_id_changed', ui_session_id: this.uiSessionId });
      this.sendEvent({ type: 'chat_user_data', user: this.chatUser() });
      this.sendEvent({ type: 'avatar_list', avatars: this.avatars() });
      this.sendEvent({ type: 'voice_list', voices: VOICES });
      this.sendEvent({ type: 'agent_list', agents: agentCatalog(this.ctx.frames) });
      this.sendEvent({ type: 'tool_catalog', tools: toolCatalog(this.ctx.frames) });
      this.sendEvent({ type: 'chat_session_changed', chat_session: serializeSession(this.chat) });
      this.sendEvent({
        type: 'render_media',
        session_id: this.chat.sessionId,
        role: 'assistant',
        parent_session_id: null,
        user_session_id: this.chat.sessionId,
        content_type: 'text/markdown',
        url: null,
        name: null,
        content: welcome(this.chat.agent.name, this.chat.messages.length > 0),
        content_bytes: null,
        sent_by_class: 'RealtimeBridge',
        sent_by_function: null,
        foreign_content: false,
      });
      this.sendEvent({ type: 'user_turn_start' });
    } else {
      this.sendEvent({ type: 'chat_session_changed', chat_session: serializeSession(this.chat) });
      if (!this.task) this.sendEvent({ type: 'user_turn_start' });
    }
  }

  /** The socket closed. The server's `_clear_websocket` nulls whichever socket is attached by then (§1.9 bug). */
  detach(socket: SimSocket): void {
    if (this.socket === socket || this.ctx.quirks.reconnectOverLiveSocketMutes) this.socket = null;
  }

  /** Forget everything (server restart): stop the interaction without a word. */
  shutdown(): void {
    this.closed = true;
    this.task?.controller.abort();
    this.voice?.stop();
  }

  // ---------------------------------------------------------------- sending

  /** Sends an event to this UI session's socket, applying the routing filter (§1.6). */
  sendEvent(event: Record<string, unknown>): void {
    if ('session_id' in event) {
      const current = this.chat.sessionId;
      if (event.session_id !== current && event.user_session_id !== current) return;
    }
    this.socket?.sendText(pyJson(event), event.type as string);
  }

  /** Serialised frame text around a delta's content, per envelope (object), type and role. */
  private readonly deltaFrames = new WeakMap<object, Map<string, readonly [prefix: string, suffix: string]>>();

  /** Sends a streamed delta; byte for byte what `sendEvent` would send, with the constant parts cached. */
  sendDelta(type: string, role: string, envelope: { session_id: string; parent_session_id: string | null; user_session_id: string }, content: string): void {
    const current = this.chat.sessionId;
    if (envelope.session_id !== current && envelope.user_session_id !== current) return; // routing filter (§1.6)
    let frames = this.deltaFrames.get(envelope);
    if (!frames) this.deltaFrames.set(envelope, (frames = new Map()));
    const key = type === 'text_delta' && role === 'assistant' ? '' : `${type}\u0000${role}`; // the common one without building a key
    let frame = frames.get(key);
    if (!frame) {
      const prefix = pyJson({ type, session_id: envelope.session_id, role, parent_session_id: envelope.parent_session_id, user_session_id: envelope.user_session_id, content: '' }).slice(0, -3);
      frame = [prefix, ', "format": "markdown"}'];
      frames.set(key, frame);
    }
    this.socket?.sendText(`${frame[0]}${pyString(content)}${frame[1]}`, type);
  }

  private systemMessage(content: string, severity: 'info' | 'warning' | 'error'): void {
    this.sendEvent({ type: 'system_message', session_id: this.chat.sessionId, role: 'system', parent_session_id: null, user_session_id: null, content, format: 'markdown', severity });
  }

  private error(message: string, source: string | null = null): void {
    this.sendEvent({ type: 'error', message, source });
  }

  // ---------------------------------------------------------------- receiving

  /** A frame arrived; frames are processed strictly one after the other (§1.5 rule 1). */
  receive(data: string | Buffer, binary: boolean): void {
    this.queue.push({ data, binary });
    if (!this.processing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.processing = true;
    while (this.queue.length > 0 && !this.closed) {
      const frame = this.queue.shift()!;
      try {
        if (frame.binary) await this.handleBinary(frame.data as Buffer);
        else await this.handleText(frame.data.toString());
      } catch (error) {
        this.error(`Error processing event: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.processing = false;
  }

  private async handleBinary(data: Buffer): Promise<void> {
    if (data.byteLength % 2 !== 0) throw new Error('buffer size must be a multiple of element size');
    const pcm = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    const meter = this.audioIn;
    meter.frames++;
    meter.samples += pcm.length;
    for (const sample of pcm) {
      meter.sumSquares += (sample / 32_768) ** 2;
      if ((sample >= 0) !== (meter.last >= 0)) meter.zeroCrossings++;
      meter.last = sample;
    }
    this.voice?.pushInput(pcm);
  }

  private async handleText(text: string): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.error('Invalid JSON received');
      return;
    }
    const parsed = parseClientFrame(value);
    if (parsed.kind === 'error') {
      this.sendEvent({ type: 'error', message: parsed.message, source: null });
      return;
    }
    const { type } = parsed;
    const event = parsed.kind === 'event' ? parsed.event : {};
    // resuming the current session is answered before the pre-emption rule (§1.5 rule 6)
    if (type === 'resume_chat_session' && event.session_id === this.chat.sessionId) {
      this.sendEvent({ type: 'chat_session_changed', chat_session: serializeSession(this.chat) });
      return;
    }
    if (this.task && !NON_PREEMPTING.has(type)) await this.hardCancel();
    const stall = this.ctx.stalls.get(type);
    if (stall) await sleep(stall);
    const handled = parsed.kind === 'event' || this.handlesUnknown(type) ? await this.handle(type, event) : false;
    if (!handled) {
      this.systemMessage(`RealtimeBridge did not handle event type: ${type}.`, 'warning');
    }
  }

  /** Runs the handler of a known event; false when the server has none (answered with a warning). */
  private async handle(type: string, event: Readonly<Record<string, unknown>>): Promise<boolean> {
    const str = (key: string) => event[key] as string;
    switch (type) {
      case 'ping':
        this.sendEvent({ type: 'pong' });
        return true;
      case 'text_input':
        this.textInput(str('text'), event.file_ids as string[]);
        return true;
      case 'client_wants_cancel':
        this.cancel();
        return true;
      case 'get_agents':
        if (this.ctx.realisticTiming) await sleep(GET_AGENTS_MS); // inline: later frames wait too
        // the re-copied config does not get BridgeTools appended again (§4.4)
        this.chat.tools = [...this.chat.agent.toolsets];
        this.sendEvent({ type: 'agent_list', agents: agentCatalog(this.ctx.frames) });
        this.sendEvent({ type: 'agent_configuration_changed', agent_config: agentConfig(this.chat.agent, this.chat.tools) });
        return true;
      case 'set_agent':
        this.setAgent(str('agent_key'));
        return true;
      case 'get_avatars':
        this.sendEvent({ type: 'avatar_list', avatars: this.avatars() });
        return true;
      case 'set_avatar':
        this.setAvatar(str('avatar_id'), str('quality'), str('video_encoding'));
        return true;
      case 'set_avatar_session':
        this.setAvatarSession(str('access_token'), str('avatar_session_id'));
        return true;
      case 'set_agent_voice':
        this.setVoice(str('voice_id'));
        return true;
      case 'get_voices':
        this.sendEvent({ type: 'voice_list', voices: VOICES });
        return true;
      case 'get_tool_catalog':
        this.sendEvent({ type: 'tool_catalog', tools: toolCatalog(this.ctx.frames) });
        return true;
      case 'set_agent_tools':
        this.setTools(event.tools as string[]);
        return true;
      case 'new_chat_session':
        this.newSession(event.agent_key as string | null);
        return true;
      case 'resume_chat_session':
        this.resumeSession(str('session_id'));
        return true;
      case 'set_chat_session_name':
        this.renameSession(str('session_name'), (event.session_id as string | null) ?? this.chat.sessionId);
        return true;
      case 'delete_chat_session':
        this.deleteSession((event.session_id as string | null) ?? this.chat.sessionId);
        return true;
      case 'get_user_sessions':
        this.listSessions(event.offset as number, event.limit as number);
        return true;
      case 'set_session_metadata':
        this.chat.metadata = { ...(event.meta as Record<string, unknown>) };
        this.sendEvent({ type: 'session_metadata_changed', meta: this.chat.metadata });
        return true;
      case 'set_session_messages':
        this.chat.messages = [...(event.messages as Record<string, unknown>[])];
        this.ctx.store.touch(this.chat);
        this.ctx.broadcast(this.user.userId, { type: 'chat_session_added', chat_session: indexEntry(this.chat) });
        this.error(
          "Error processing event: 2 validation errors for HistoryEvent\nrole\n  Field required [type=missing, input_value={'session_id': '" +
            this.chat.sessionId +
            "', 'messages': [...]}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.13/v/missing\nvendor\n  Field required [type=missing, input_value={'session_id': '" +
            this.chat.sessionId +
            "', 'messages': [...]}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.13/v/missing",
        );
        return true;
      case 'audio_input_delta':
        return true; // logged and dropped (§4.20)
      case 'set_voice_input_mode':
        if (!this.voice) return false;
        this.voice.setMode(str('mode') as 'ptt' | 'vad' | 'realtime');
        this.sendEvent({ type: 'voice_input_supported', modes: ['ptt', 'vad', 'realtime'], mode: str('mode') });
        return true;
      case 'ptt_start':
        if (!this.voice) return false;
        this.voice.pttStart();
        this.sendEvent({ type: 'server_listening' });
        return true;
      case 'ptt_end':
        if (!this.voice) return false;
        this.voice.pttEnd();
        return true;
      default:
        return false; // pong, add_workspace, remove_workspace, list_workspaces: parsed, unhandled
    }
  }

  /** `ptt_start` and `ptt_end` are unknown types to the real server, but the full profile handles them. */
  handlesUnknown(type: string): boolean {
    return this.voice !== null && (type === 'ptt_start' || type === 'ptt_end');
  }

  // ---------------------------------------------------------------- interactions

  private textInput(text: string, fileIds: readonly string[]): void {
    // Python's str.strip(): also \x1c-\x1f, \x85 and the Unicode spaces (§13 item 13)
    const trimmed = pythonStrip(text);
    if (trimmed === '') return; // ignored silently (the running turn was already pre-empted)
    if (trimmed.startsWith('!') && !trimmed.includes('\n')) {
      this.command(trimmed);
      return;
    }
    this.startInteraction(text, fileIds);
  }

  private command(text: string): void {
    const word = text.split(/\s+/)[0]!.toLowerCase();
    if (word === '!help' || word === '!h' || word === '!?') {
      this.systemMessage(`**Chat commands**\n\n${COMMANDS.map((c) => `- \`${c}\``).join('\n')}`, 'info');
      return;
    }
    this.systemMessage(`Unknown command: ${word}`, 'error');
  }

  private enqueueVoiceTurn(seconds: number): void {
    // an utterance becomes a user turn like a text_input; it goes through the queue like any frame
    this.queue.push({ data: JSON.stringify({ type: 'text_input', text: `Voice message (${seconds.toFixed(1)} s)` }), binary: false });
    if (!this.processing) void this.drain();
  }

  private startInteraction(text: string, fileIds: readonly string[]): void {
    this.cancelFlag = false;
    this.sendEvent({ type: 'user_turn_end' });
    this.ctx.broadcast(this.user.userId, { type: 'chat_session_added', chat_session: indexEntry(this.chat) });
    const uploaded = (this.chat.metadata.uploaded_files ?? {}) as Record<string, Record<string, unknown>>;
    const missing = fileIds.find((id) => !(id in uploaded));
    if (missing !== undefined) {
      this.error(
        `Error preparing chat parameters: AttributeError: 'NoneType' object has no attribute 'id'\nTraceback (most recent call last):\n  File "/app/src/agent_c_api/core/realtime_bridge.py", line 1135, in _build_chat_params\n    file_inputs = await self.file_handler.get_file_inputs(file_ids, self.chat_session.session_id)\n  File "/app/src/agent_c_api/core/file_handler.py", line 416, in get_file_inputs\n    inputs.append(self._to_input(meta.id))\nAttributeError: 'NoneType' object has no attribute 'id'\n`,
      );
      this.sendEvent({ type: 'user_turn_start' });
      return;
    }
    const content: string | Record<string, unknown>[] =
      fileIds.length === 0
        ? text
        : [...fileIds.map((id) => ({ type: 'document', source: { type: 'file', file_id: `file_${id}` }, title: uploaded[id]?.original_filename ?? id })), { type: 'text', text }];
    const controller = new AbortController();
    const chat = this.chat;
    const host = this.runtimeHost(controller.signal, chat);
    const plan = planFor(chat.agent.behaviour, text, this.ctx.seed + chat.messages.length, this.ctx.firehoseDeltas);
    const envelope = { session_id: chat.sessionId, parent_session_id: null, user_session_id: chat.sessionId };
    const done = runInteraction(host, chat.agent, plan, content, envelope)
      .then(
        (outcome) => {
          void outcome;
          this.finishInteraction(chat);
        },
        (error: unknown) => {
          if (error instanceof HardCancel) return; // pre-empted: nothing more is sent
          const detail = error instanceof RuntimeCrash ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
          this.error(`Error in agent_runtime.chat: ${detail}`);
          this.sendEvent({ type: 'user_turn_start' });
        },
      )
      .finally(() => {
        if (this.task?.controller === controller) this.task = null;
      });
    this.task = { controller, done };
  }

  private finishInteraction(chat: ChatSessionRecord): void {
    this.ctx.store.chatSessions.set(chat.sessionId, chat); // flushed (saved again even if deleted meanwhile)
    this.ctx.store.touch(chat);
    chat.tokenCount += 1200;
    this.ctx.broadcast(this.user.userId, { type: 'chat_session_added', chat_session: indexEntry(chat) });
    this.sendEvent({ type: 'user_turn_start' });
  }

  private runtimeHost(signal: AbortSignal, chat: ChatSessionRecord): RuntimeHost {
    let sinceYield = 0;
    const bridge = this;
    return {
      emit: (event) => bridge.sendEvent(event),
      emitDelta: (type, role, envelope, content) => bridge.sendDelta(type, role, envelope, content),
      pace(delta) {
        if (signal.aborted) throw new HardCancel();
        const socket = bridge.socket;
        const pause = delta && bridge.ctx.deltaMs > 0;
        const yieldNow = !pause && ++sinceYield >= YIELD_EVERY;
        if (!pause && !yieldNow && !socket?.mustWait()) return undefined; // the common case: no promise at all
        if (yieldNow) sinceYield = 0;
        return (async () => {
          // a pause between deltas, or a turn of the event loop that lets frames (ping, cancel,
          // pre-empting events) in between streamed events
          if (pause) await sleep(bridge.ctx.deltaMs, signal);
          else if (yieldNow) await new Promise((resolve) => setImmediate(resolve));
          if (bridge.socket) await bridge.socket.drained();
          if (signal.aborted) throw new HardCancel();
        })();
      },
      async wait(ms) {
        if (signal.aborted) throw new HardCancel();
        await sleep(ms, signal);
        if (signal.aborted) throw new HardCancel();
      },
      frames: this.ctx.frames,
      userMessageMs: this.userMessageMs(),
      get toolsets() {
        return chat.tools;
      },
      get cancelRequested() {
        return bridge.cancelFlag;
      },
      slug: (words) => bridge.ctx.slug(words),
      random: this.ctx.random,
      userId: this.user.userId,
      speak: (text) => {
        const voice = VOICES.find((v) => v.voice_id === bridge.voiceId);
        if (bridge.voice && voice?.output_format === 'pcm16') bridge.voice.speak(text);
      },
      appendHistory: (messages) => {
        chat.messages.push(...messages);
      },
    };
  }

  private userMessageMs(): number {
    if (!this.ctx.realisticTiming) return 0;
    const first = !this.ctx.warm;
    this.ctx.warm = true;
    return first ? FIRST_USER_MESSAGE_MS : USER_MESSAGE_MS;
  }

  /** Pre-emption: kill the running interaction silently and wait for it (§1.5 rule 6). */
  private async hardCancel(): Promise<void> {
    const task = this.task;
    if (!task) return;
    task.controller.abort();
    this.voice?.stopSpeaking();
    await task.done;
    this.task = null;
  }

  /** `client_wants_cancel` and `POST /api/rt/cancel`: always the two replies, then a graceful wind-down (§4.3, §7.4). */
  cancel(): void {
    this.sendEvent({ type: 'cancelled' });
    this.systemMessage('Interaction cancelled by user, waiting for runtime to exit..', 'info');
    this.cancelFlag = true;
    this.voice?.stopSpeaking();
  }

  // ---------------------------------------------------------------- agents, voices, avatars

  private setAgent(key: string): void {
    if (key === this.chat.agent.key) return; // no reply at all (§4.5)
    const agent = this.loadAgent(key);
    this.chat.agent = agent;
    this.chat.tools = sessionTools(agent);
    this.announceWorkspace();
    this.sendEvent({ type: 'agent_configuration_changed', agent_config: agentConfig(agent, this.chat.tools) });
  }

  private loadAgent(key: string): AgentDefinition {
    const agent = findAgent(key);
    if (!agent) throw new Error(`Agent ${key} not found.`);
    return agent;
  }

  private announceWorkspace(): void {
    if (this.chat.metadata.active_workspace === undefined && this.chat.agent.defaultWorkspace) {
      this.chat.metadata = { ...this.chat.metadata, active_workspace: this.chat.agent.defaultWorkspace };
      this.systemMessage(`Active workspace set to ${this.chat.agent.defaultWorkspace}`, 'info');
    }
  }

  private setTools(tools: readonly string[]): void {
    const unknown = tools.filter((name) => !TOOLSET_NAMES.has(name));
    if (unknown.length > 0) {
      this.systemMessage('Some tools failed to equip, see server logs for details', 'error');
      // the server keeps the previous list filtered to what is available, not the request (§4.12)
      this.chat.tools = this.chat.tools.filter((name) => TOOLSET_NAMES.has(name));
    } else {
      this.chat.tools = [...tools];
    }
    this.sendEvent({ type: 'agent_configuration_changed', agent_config: agentConfig(this.chat.agent, this.chat.tools) });
    this.systemMessage('Agent tools updated', 'info');
  }

  private setVoice(voiceId: string): void {
    const voice = VOICES.find((v) => v.voice_id === voiceId);
    if (!voice || voiceId === 'avatar') {
      this.systemMessage(`Voice '${voiceId}' not found`, 'error');
      return;
    }
    // the handler calls itself with the model object, which then is "not found" (§4.9 bug)
    const repr = Object.entries(voice).map(([key, value]) => `${key}='${value}'`).join(' ');
    this.systemMessage(`Voice '${repr}' not found`, 'error');
    this.voiceId = voiceId;
    if (voice.output_format !== 'pcm16') this.voice?.stopSpeaking();
    this.sendEvent({ type: 'agent_voice_changed', voice });
  }

  private avatars(): readonly Record<string, unknown>[] {
    return this.heygenClient ? AVATARS : [];
  }

  /** Closes the avatar session the server made, if any (HeyGen `streaming.stop`), and drops the HeyGen client (§4.7 bug). */
  private closeAvatarSession(): void {
    if (!this.avatarSession) return;
    this.ctx.heygen?.endSession(this.avatarSession.session_id as string);
    this.avatarSession = null;
    this.heygenClient = false;
  }

  /** Makes a session through the fake HeyGen's `streaming.new` (§4.7); its `url` is the simulator itself. */
  private setAvatar(avatarId: string, quality: string, videoEncoding: string): void {
    this.closeAvatarSession();
    if (!this.heygenClient || !this.ctx.heygen) throw new Error("'NoneType' object has no attribute 'create_new_session'");
    const request = {
      avatar_id: avatarId,
      quality,
      voice: { voice_id: null, rate: 1.5, emotion: 'excited', elevenlabs_settings: { stability: null, model_id: 'eleven_flash_v2_5', similarity_boost: null, style: null, use_speaker_boost: null } },
      language: 'en',
      version: 'v2',
      video_encoding: videoEncoding,
      source: 'sdk',
      stt_settings: { provider: 'deepgram', confidence: null },
      ia_is_livekit_transport: false,
      knowledge_base: null,
      knowledge_base_id: null,
      disable_idle_timeout: null,
      activity_idle_timeout: null,
    };
    this.avatarSession = this.ctx.heygen.createSession();
    this.sendEvent({ type: 'avatar_connection_changed', avatar_session_request: request, avatar_session: this.avatarSession });
  }

  /**
   * The client made the HeyGen session (§4.8): the server greets through HeyGen `streaming.task`
   * with the session's access token as its key. The fake HeyGen makes a session it knows talk;
   * without HeyGen, or for a session it does not know, the task fails with 401.
   */
  private setAvatarSession(accessToken: string, sessionId: string): void {
    this.closeAvatarSession();
    this.voiceId = 'avatar';
    this.voice?.stopSpeaking();
    this.sendEvent({ type: 'agent_voice_changed', voice: VOICES[1] });
    const task = this.ctx.heygen?.task(sessionId, accessToken, AVATAR_GREETING) ?? { ok: false, status: 401, message: 'Unauthorized' };
    if (!task.ok) this.error(`Failed to send message to avatar: ${task.status} ${task.status === 404 ? 'Not Found' : 'Unauthorized'}`);
    this.sendEvent({
      type: 'text_delta',
      session_id: this.chat.sessionId,
      role: 'system',
      parent_session_id: null,
      user_session_id: null,
      content: AVATAR_GREETING,
      format: 'markdown',
    });
  }

  // ---------------------------------------------------------------- chat sessions

  private newSession(agentKey: string | null): void {
    const old = this.chat;
    this.ctx.broadcast(this.user.userId, { type: 'chat_session_added', chat_session: indexEntry(old) });
    if (old.messages.length === 0) this.ctx.store.chatSessions.delete(old.sessionId); // empty sessions are lost (§4.13)
    const agent = agentKey === null ? old.agent : this.loadAgent(agentKey);
    this.chat = this.ctx.store.createChatSession(this.user.userId, agent);
    this.sendEvent({ type: 'chat_session_changed', chat_session: serializeSession(this.chat) });
    if (agent.defaultWorkspace) {
      this.chat.metadata = { active_workspace: agent.defaultWorkspace };
      this.systemMessage(`Active workspace set to ${agent.defaultWorkspace}`, 'info');
    }
  }

  private resumeSession(sessionId: string): void {
    const found = this.ctx.store.persistedSession(this.user.userId, sessionId);
    if (!found) {
      this.error(`Session '${sessionId}' not found`, 'resume_chat_session');
      return;
    }
    if (this.chat.messages.length === 0) this.ctx.store.chatSessions.delete(this.chat.sessionId);
    found.tools = sessionTools(found.agent); // refreshed from the catalogue, BridgeTools appended (§4.14)
    this.chat = found;
    this.sendEvent({ type: 'chat_session_changed', chat_session: serializeSession(found) });
    this.systemMessage(`Welcome back! **Session ID:** ${sessionId}`, 'info');
  }

  private renameSession(name: string, sessionId: string): void {
    const target = sessionId === this.chat.sessionId ? this.chat : this.ctx.store.persistedSession(this.user.userId, sessionId);
    if (!target) {
      this.error(`Session '${sessionId}' not found`, 'set_chat_session_name');
      return;
    }
    target.sessionName = name;
    if (target !== this.chat) this.ctx.store.touch(target);
    this.ctx.broadcast(this.user.userId, { type: 'chat_session_name_changed', session_name: name, session_id: sessionId });
  }

  private deleteSession(sessionId: string): void {
    const target = this.ctx.store.persistedSession(this.user.userId, sessionId);
    if (!target) {
      this.error(`Session '${sessionId}' not found`, 'delete_chat_session');
      return;
    }
    this.ctx.broadcast(this.user.userId, { type: 'delete_chat_session', session_id: sessionId });
    this.ctx.store.chatSessions.delete(sessionId);
    if (target === this.chat) {
      // the file is deleted, then the handler crashes; the session stays current in memory and the
      // next interaction saves it again (§4.16 bug)
      throw new Error("'ChatSession' object has no attribute 'agent_key'");
    }
    this.systemMessage(`Chat Session ${sessionId} deleted`, 'info');
  }

  private listSessions(offset: number, limit: number): void {
    const all = this.ctx.store.listSessions(this.user.userId);
    this.sendEvent({
      type: 'get_user_sessions_response',
      sessions: { chat_sessions: all.slice(offset, offset + limit).map(indexEntry), total_sessions: all.length, offset },
    });
  }

  // ---------------------------------------------------------------- uploads (called by the HTTP route)

  /**
   * Records an uploaded file on the current chat session and pushes the metadata twice: pending,
   * then processed. Both reach the socket before the HTTP reply (§2.5, §13 item 4), so the route
   * awaits this.
   */
  async addUpload(id: string, filename: string, mimeType: string, size: number, text: string | null): Promise<void> {
    const chat = this.chat;
    const uploaded = { ...((chat.metadata.uploaded_files ?? {}) as Record<string, unknown>) };
    const entry = {
      id,
      filename: `uploads/${this.user.userId}/${chat.sessionId}/${id}`,
      original_filename: filename,
      mime_type: mimeType,
      size,
      upload_time: isoTime(this.ctx.now()),
      session_id: chat.sessionId,
      extracted_text: null as string | null,
      processed: false,
      processing_error: null,
      processing_status: 'pending',
    };
    uploaded[id] = entry;
    chat.metadata = { ...chat.metadata, uploaded_files: uploaded };
    this.sendEvent({ type: 'session_metadata_changed', meta: chat.metadata });
    await new Promise((resolve) => setImmediate(resolve)); // the processing step
    const files = (chat.metadata.uploaded_files ?? {}) as Record<string, Record<string, unknown>>;
    if (!files[id] || this.closed) return;
    files[id] = { ...files[id], extracted_text: text, processed: true, processing_status: 'completed' };
    // lost when the UI session moved to another chat session meanwhile (§2.5)
    if (this.chat === chat) this.sendEvent({ type: 'session_metadata_changed', meta: chat.metadata });
    this.socket?.flush(); // the socket's batched writes go out before the route writes its reply
  }

  private chatUser(): Record<string, unknown> {
    const user = this.user;
    return {
      version: 1,
      user_id: user.userId,
      user_name: user.username,
      email: `${user.username}@example.com`,
      first_name: user.firstName,
      last_name: user.lastName,
      created_at: user.createdAt,
      updated_at: null, // never saved after creation (§13 item 5)
      deleted_at: null,
      roles: user.userId === 'admin' ? ['admin'] : ['user'],
      groups: [],
      meta: {},
      password_hash: '$2b$12$simulatorhashsimulatorhashsimulatorhashsimulatorhashs',
      is_active: user.isActive,
      last_login: null, // the login updates a detached copy that is never saved (§13 item 5)
    };
  }
}
