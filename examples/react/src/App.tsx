import { useEffect, useState, type FormEvent } from 'react';
import { ClientError, createClient, type RealtimeClient, type TranscriptMessage } from 'agentc-realtime';
import { config } from './config.js';
import { useObservable } from './useObservable.js';

/**
 * One client per mount, disposed on unmount. Under StrictMode React mounts twice in development:
 * the first client is disposed before it ever connects (nothing touches the network before
 * `connect()`), and the second one is kept.
 */
function useClient(): RealtimeClient | null {
  const [client, setClient] = useState<RealtimeClient | null>(null);
  useEffect(() => {
    const created = createClient({ url: config.url, auth: { username: config.username, password: config.password } });
    setClient(created);
    return () => created.dispose();
  }, []);
  return client;
}

export function App() {
  const client = useClient();
  return client ? <Chat client={client} /> : null;
}

function describe(error: unknown): string {
  return error instanceof ClientError ? `${error.reason}: ${error.message}` : String(error);
}

function textOf(message: TranscriptMessage): string {
  if (message.kind === 'tool_call') return `🔧 ${message.name}`;
  if (message.kind === 'media') return message.contentType.startsWith('text/') && message.content ? message.content : `[${message.contentType}]`; // as text, never as HTML
  return message.text;
}

function Message({ message, streaming = false }: { message: TranscriptMessage; streaming?: boolean }) {
  return (
    <li data-kind={message.kind} data-stop={message.kind === 'assistant' ? (message.stopReason ?? '') : ''} data-streaming={streaming || undefined}>
      {textOf(message)}
    </li>
  );
}

function Chat({ client }: { client: RealtimeClient }) {
  const { state } = useObservable(client.connection$, { state: 'idle' as const });
  const messages = useObservable(client.messages$, []);
  const streaming = useObservable(client.streaming$, null);
  const interaction = useObservable(client.interaction$, null);
  const { agents } = useObservable(client.catalog$, { agents: [] });
  const session = useObservable(client.currentSession$, null);
  const currentAgent = session?.agent_config?.key ?? '';

  // errors$ is a stream of events, not a value: collect the last few
  const [errors, setErrors] = useState<string[]>([]);
  const report = (error: unknown) => setErrors((list) => [...list, describe(error)].slice(-5));
  useEffect(() => {
    const subscription = client.errors$.subscribe(report);
    return () => subscription.unsubscribe();
  }, [client]);

  const [text, setText] = useState('');
  const send = (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    setText('');
    client.sendText(text.trim()).catch(report);
  };

  return (
    <main className="chat">
      <header>
        <h1>Chat · React</h1>
        <span className="badge" data-testid="status" data-state={state}>
          {state}
        </span>
        {['idle', 'closed', 'failed'].includes(state) && (
          <button type="button" data-testid="connect" onClick={() => client.connect().catch(() => {})}>
            Connect
          </button>
        )}
        <select
          data-testid="agent"
          data-agent={currentAgent}
          aria-label="Agent"
          disabled={state !== 'ready'}
          value={currentAgent}
          onChange={(event) => client.setAgent(event.target.value).catch(report)}
        >
          {agents.map((agent) => (
            <option key={agent.key} value={agent.key}>
              {agent.name}
            </option>
          ))}
        </select>
      </header>
      <ul className="messages" data-testid="messages">
        {messages.map((message) => (
          <Message key={message.id} message={message} />
        ))}
        {streaming && <Message message={streaming} streaming />}
      </ul>
      <ul className="errors" data-testid="errors">
        {errors.map((error, i) => (
          <li key={i}>{error}</li>
        ))}
      </ul>
      <form data-testid="composer" onSubmit={send}>
        <input data-testid="input" placeholder="Say something" aria-label="Message" autoComplete="off" value={text} onChange={(event) => setText(event.target.value)} />
        <button type="submit" data-testid="send" disabled={state !== 'ready'}>
          Send
        </button>
        {interaction && (
          <button type="button" data-testid="cancel" onClick={() => client.cancel().catch(report)}>
            Cancel
          </button>
        )}
      </form>
    </main>
  );
}
