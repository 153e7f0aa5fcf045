/**
 * The `full` profile's voice: microphone PCM in (voice-activity detection or push-to-talk), and
 * synthesized speech out as binary PCM16 frames paced in real time (what the seeds describe and the
 * real server lacks, docs/protocol.md §7.5, §8).
 */
import { chunkPcm, synthesizeSpeech, UtteranceDetector, VOICE_SAMPLE_RATE } from './voice.js';

/** Where the channel reports. */
export interface VoiceChannelHooks {
  /** An utterance ended; it lasted `seconds`. */
  onUtterance(seconds: number): void;
  /** Send one chunk of output audio (PCM16 LE mono, 24 kHz). */
  sendAudio(pcm: Int16Array): void;
}

/** Output audio is sent in chunks of this many milliseconds, one per chunk duration. */
const CHUNK_MS = 100;

export class VoiceChannel {
  private mode: 'ptt' | 'vad' | 'realtime' = 'vad';
  private readonly detector = new UtteranceDetector({ sampleRate: VOICE_SAMPLE_RATE });
  private pttActive = false;
  private pttSamples = 0;
  private readonly queue: Int16Array[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private spoken = 0;

  constructor(
    private readonly hooks: VoiceChannelHooks,
    private readonly seed = 1,
  ) {}

  /** Microphone audio from the client. */
  pushInput(pcm: Int16Array): void {
    if (this.mode === 'ptt') {
      if (this.pttActive) this.pttSamples += pcm.length;
      return;
    }
    for (const event of this.detector.push(pcm)) {
      if (event.type === 'speech_ended') this.hooks.onUtterance(event.durationMs / 1000);
    }
  }

  setMode(mode: 'ptt' | 'vad' | 'realtime'): void {
    this.mode = mode;
    this.pttActive = false;
    this.detector.reset();
  }

  pttStart(): void {
    this.pttActive = true;
    this.pttSamples = 0;
  }

  /** Push-to-talk released: what was captured since `pttStart` is one utterance. */
  pttEnd(): void {
    if (!this.pttActive) return;
    this.pttActive = false;
    if (this.pttSamples > 0) this.hooks.onUtterance(this.pttSamples / VOICE_SAMPLE_RATE);
  }

  /** Queue speech for `text`; chunks go out in real time. */
  speak(text: string): void {
    const pcm = synthesizeSpeech(text, { sampleRate: VOICE_SAMPLE_RATE, seed: this.seed * 7919 + ++this.spoken });
    this.queue.push(...chunkPcm(pcm, CHUNK_MS, VOICE_SAMPLE_RATE));
    if (this.timer === null) this.pump();
  }

  private pump(): void {
    const chunk = this.queue.shift();
    if (!chunk) {
      this.timer = null;
      return;
    }
    this.hooks.sendAudio(chunk);
    this.timer = setTimeout(() => this.pump(), (chunk.length / VOICE_SAMPLE_RATE) * 1000);
  }

  /** Barge-in or voice change: drop the speech not yet sent. */
  stopSpeaking(): void {
    this.queue.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  stop(): void {
    this.stopSpeaking();
    this.pttActive = false;
  }
}
