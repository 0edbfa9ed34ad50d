import { CodecError, ERROR_CODES } from '../errors.js';
import type { KeyVersionInfo } from './versioned-key-store.js';

/** When a key is due for rotation. */
export interface RotationPolicy {
  /** Rotate once the version that encrypts is older than this. */
  readonly maxAgeMs: number;
}

/** The outcome of {@link evaluateRotation}. */
export interface RotationDecision {
  /** True when the key should be rotated now. */
  readonly due: boolean;
  /** Why, in a few words (for logs and the CLI). */
  readonly reason: 'no-active-version' | 'unknown-creation-time' | 'older-than-max-age' | 'fresh';
  /** The version that encrypts (the newest active one), when there is one. */
  readonly encryptingVersion?: number;
  /** Its age in milliseconds, when its creation time is known. */
  readonly ageMs?: number;
  /** When it becomes due (ISO 8601), when its creation time is known. */
  readonly dueAt?: string;
}

/**
 * Decides whether a key is due for rotation under `policy`: when the newest active version is older than
 * `maxAgeMs`, or when no version is active (nothing could encrypt). Pure, so a scheduler can dry-run it.
 *
 * A version whose creation time is unknown is treated as due: rotating early is safe, never rotating is not.
 */
export function evaluateRotation(
  versions: readonly KeyVersionInfo[],
  policy: RotationPolicy,
  nowMs: number,
): RotationDecision {
  // Precondition: the max age is a positive, finite duration.
  if (!Number.isFinite(policy.maxAgeMs) || policy.maxAgeMs <= 0) {
    throw new CodecError(ERROR_CODES.invalidArgument, 'Rotation max age must be a positive duration', {
      context: { field: 'maxAge' },
    });
  }
  const newest = [...versions].filter((v) => v.state === 'active').sort((a, b) => b.version - a.version)[0];
  if (newest === undefined) return { due: true, reason: 'no-active-version' };
  const createdMs = Date.parse(newest.createdAt);
  if (Number.isNaN(createdMs)) return { due: true, reason: 'unknown-creation-time', encryptingVersion: newest.version };
  const ageMs = nowMs - createdMs;
  const dueAt = new Date(createdMs + policy.maxAgeMs).toISOString();
  const due = ageMs >= policy.maxAgeMs;
  return { due, reason: due ? 'older-than-max-age' : 'fresh', encryptingVersion: newest.version, ageMs, dueAt };
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration such as `90s`, `15m`, `12h`, `30d` or `2w` into milliseconds (one unit, whole numbers: the
 * notation of Vault's TTLs, minus the ambiguous ones like months).
 *
 * @throws CodecError ERR_INVALID_ARGUMENT for anything else.
 */
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]{0,6})([smhdw])$/.exec(text.trim());
  const unit = match === null ? undefined : UNITS[match[2]!];
  if (match === null || unit === undefined) {
    throw new CodecError(
      ERROR_CODES.invalidArgument,
      `Invalid duration ${JSON.stringify(text)}; use e.g. 12h, 30d, 2w`,
      {
        context: { field: 'duration' },
      },
    );
  }
  return Number(match[1]) * unit;
}

/** Formats milliseconds as the largest whole unit of {@link parseDuration} (e.g. `30d`), or seconds. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
