import {
  DEFAULT_TEMPORAL_ADDRESS,
  readTemporalOptions,
  TEMPORAL_FLAGS,
  TemporalOptionsError,
} from './temporal-options.js';
import type { TemporalOptions } from './temporal-options.js';

/** `util.parseArgs` specs of the flags of the Temporal-aware commands (besides the connection flags). */
export const USAGE_FLAGS = {
  ...TEMPORAL_FLAGS,
  'include-closed': { type: 'boolean' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  concurrency: { type: 'string' },
  'schedule-id': { type: 'string' },
} as const;

/** The fields these flags add to a parsed command line. */
export interface UsageFields {
  /** Where Temporal is; absent when not configured and not needed. */
  readonly temporal?: TemporalOptions;
  /** `--include-closed`: also read closed workflows within retention. */
  readonly includeClosed: boolean;
  /** `--concurrency`: histories read at once (default {@link DEFAULT_CONCURRENCY}). */
  readonly concurrency: number;
  /** `--force`: go ahead despite the usage and encrypting-version guards. */
  readonly force: boolean;
  /** `--dry-run`: show what would change, change nothing. */
  readonly dryRun: boolean;
  /** `schedules reencrypt --schedule-id`. */
  readonly scheduleId?: string;
}

/** History reads in flight at once: enough to hide round trips, few enough not to load a shared frontend. */
export const DEFAULT_CONCURRENCY = 8;
const MAX_CONCURRENCY = 64;

/** Commands that need Temporal (defaulting to the `temporal` CLI's address) and those that consult it if configured. */
const NEEDS_TEMPORAL = new Set(['usage', 'schedules-reencrypt']);
const MAY_USE_TEMPORAL = new Set(['deactivate', 'destroy']);

const ALLOWED: Record<string, ReadonlySet<string>> = {
  'include-closed': new Set(['usage', 'deactivate', 'destroy']),
  concurrency: new Set(['usage', 'deactivate', 'destroy']),
  force: new Set(['deactivate', 'destroy']),
  'dry-run': new Set(['deactivate', 'destroy', 'schedules-reencrypt']),
  'schedule-id': new Set(['schedules-reencrypt']),
};

/** True for commands that take the namespace from `TEMPORAL_NAMESPACE` when `--namespace` is absent. */
export function readsTemporalNamespace(command: string): boolean {
  // Not deactivate/destroy: a destructive command names its key explicitly, never through a shell default.
  return NEEDS_TEMPORAL.has(command);
}

type Values = Partial<Record<keyof typeof USAGE_FLAGS, string | boolean>>;
type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and checks the Temporal-related flags of `command`. Pure.
 *
 * @throws TemporalOptionsError (a usage error) for a flag the command does not take or a bad value.
 */
export function readUsageFields(command: string, values: Values, env: Env): UsageFields {
  for (const [flag, commands] of Object.entries(ALLOWED)) {
    if (values[flag as keyof Values] !== undefined && !commands.has(command)) {
      throw new TemporalOptionsError(`--${flag} is not used by ${describe(command)}`);
    }
  }
  const usesTemporal = NEEDS_TEMPORAL.has(command) || MAY_USE_TEMPORAL.has(command);
  const connectionFlag = Object.keys(TEMPORAL_FLAGS).find((flag) => values[flag as keyof Values] !== undefined);
  if (!usesTemporal && connectionFlag !== undefined) {
    throw new TemporalOptionsError(`--${connectionFlag} is not used by ${describe(command)}`);
  }
  const temporal = usesTemporal
    ? readTemporalOptions(values, env, NEEDS_TEMPORAL.has(command) ? DEFAULT_TEMPORAL_ADDRESS : undefined)
    : undefined;
  const concurrencyText = typeof values.concurrency === 'string' ? values.concurrency.trim() : undefined;
  if (concurrencyText !== undefined && !/^[1-9][0-9]?$/.test(concurrencyText)) {
    throw new TemporalOptionsError(`--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  }
  const concurrency = concurrencyText === undefined ? DEFAULT_CONCURRENCY : Number(concurrencyText);
  if (concurrency > MAX_CONCURRENCY) {
    throw new TemporalOptionsError(`--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  }
  const scheduleId = typeof values['schedule-id'] === 'string' ? values['schedule-id'].trim() : undefined;
  if (scheduleId === '') throw new TemporalOptionsError('--schedule-id must not be empty');
  return {
    ...(temporal === undefined ? {} : { temporal }),
    includeClosed: values['include-closed'] === true,
    concurrency,
    force: values.force === true,
    dryRun: values['dry-run'] === true,
    ...(scheduleId === undefined ? {} : { scheduleId }),
  };
}

function describe(command: string): string {
  return command === 'schedules-reencrypt' ? 'schedules reencrypt' : `keys ${command}`;
}
