import type { EncryptionCodec } from '../codec/index.js';
import type { SourceOptions } from './cli-options.js';
import type { TemporalAccess } from './temporal/connect-temporal.js';
import type { TemporalOptions } from './temporal/temporal-options.js';
import type { ProgressSink } from './usage/progress-line.js';

/** A codec over the configured key source, for commands that re-seal payloads. */
export interface OpenedCodec {
  readonly codec: EncryptionCodec;
  /** The key id and version new payloads are sealed with now (asks the key source; no key leaves this call). */
  currentKey(): Promise<{ readonly keyId: string; readonly version: number }>;
  close(): Promise<void>;
}

/** What commands touch besides the key admin: the clock, stderr, Temporal, a codec. Tests pass their own. */
export interface CommandContext {
  readonly now: () => number;
  /** Warnings and notes for people (stderr). */
  readonly warn: (message: string) => void;
  /** Where progress lines go (stderr). */
  readonly progress: ProgressSink;
  readonly openTemporal: (options: TemporalOptions) => Promise<TemporalAccess>;
  readonly openCodec: (source: SourceOptions, namespace: string) => OpenedCodec;
  /** Set when the user interrupted the command: checked before any change is made. */
  readonly signal?: AbortSignal;
}
