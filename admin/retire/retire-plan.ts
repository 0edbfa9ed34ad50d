import { CodecError, ERROR_CODES, formatDuration, type KeyVersionState } from '../../codec/index.js';
import { ADMIN_ERROR_CODES, type AdminErrorCode } from '../admin-error.js';
import type { KeyDescription, KeySourceKind } from '../key-admin.js';
import type { KeyUsageReport } from '../usage/key-usage.js';
import type { CategoryUsage, VersionUsage } from '../usage/usage-tally.js';

/** The two changes that take a version out of service. */
export type RetireAction = 'deactivate' | 'destroy';

/** Whether Temporal was asked who still needs the versions, and what it said about them. */
export type UsageCheck =
  | { readonly checked: false; readonly reason: string }
  | {
      readonly checked: true;
      readonly includeClosed: boolean;
      readonly retentionMs: number | null;
      /** The usage of each version the change touches (zero counts included). */
      readonly versions: readonly VersionUsage[];
    };

/** A reason not to go ahead, overridable with `--force`. */
export interface Refusal {
  readonly code: AdminErrorCode;
  readonly message: string;
}

/** What `deactivate` / `destroy` would do, and whether it may. */
export interface RetirePlan {
  readonly action: RetireAction;
  readonly source: KeySourceKind;
  readonly keyId: string;
  readonly version: number;
  /** Versions whose state changes (a Transit destroy takes every older version not yet destroyed with it). */
  readonly affectedVersions: readonly number[];
  /** One sentence per change. */
  readonly changes: readonly string[];
  readonly refusals: readonly Refusal[];
  readonly warnings: readonly string[];
  readonly usage: UsageCheck;
  readonly force: boolean;
  /** No refusal, or `--force`. */
  readonly proceeds: boolean;
}

/** Inputs of {@link planRetirement}. */
export interface RetireInput {
  readonly action: RetireAction;
  readonly description: KeyDescription;
  readonly version: number;
  /** The usage scan, or why there was none. */
  readonly usage: KeyUsageReport | { readonly skipped: string };
  readonly force: boolean;
}

const NONE: CategoryUsage = { subjects: 0, payloads: 0, examples: [] };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function named(usage: CategoryUsage): string {
  const more = usage.subjects > usage.examples.length ? ', ...' : '';
  return usage.examples.length === 0 ? '' : ` (${usage.examples.join(', ')}${more})`;
}

/** The newest active version once `affected` have moved to `state`; Transit always encrypts with its newest. */
function encryptingAfter(d: KeyDescription, affected: ReadonlySet<number>, state: KeyVersionState) {
  if (d.source === 'vault-transit') return d.encryptingVersion;
  const after = d.versions.map((v) => (affected.has(v.version) ? { ...v, state } : v));
  return [...after].reverse().find((v) => v.state === 'active')?.version;
}

/**
 * Decides what `keys deactivate|destroy` may do, without changing anything (so `--dry-run` shows exactly what the
 * real run checks). Refusals, each overridable with `--force`:
 * - ERR_KEY_VERSION_ENCRYPTING: destroying the version that encrypts (encryption would silently fall back to an
 *   older version, or stop), or deactivating the last active version (every encode would fail);
 * - ERR_KEY_VERSION_IN_USE: open workflows or schedules hold payloads under a version the change touches.
 * Closed workflows within retention only warn: destroying their keys is what crypto-shredding is for.
 *
 * @throws CodecError ERR_UNKNOWN_KEY_VERSION when the key has no such version.
 */
export function planRetirement(input: RetireInput): RetirePlan {
  const { action, description: d, version, force } = input;
  const target = d.versions.find((v) => v.version === version);
  if (target === undefined) {
    throw new CodecError(ERROR_CODES.unknownKeyVersion, `Key ${d.keyId} has no version ${version}`, {
      context: { keyId: d.keyId, version },
    });
  }
  const newState: KeyVersionState = action === 'deactivate' ? 'inactive' : 'destroyed';
  const affectedVersions =
    action === 'destroy' && d.source === 'vault-transit'
      ? d.versions.filter((v) => v.version <= version && v.state !== 'destroyed').map((v) => v.version)
      : [version];
  const affected = new Set(affectedVersions);
  const changes: string[] = [];
  for (const v of d.versions) {
    if (affected.has(v.version) && v.state !== newState)
      changes.push(`version ${v.version}: ${v.state} -> ${newState}`);
  }
  if (d.source === 'vault-transit') {
    changes.push(
      action === 'destroy'
        ? `min_decryption_version -> ${version + 1}; versions up to ${version} trimmed from Vault's storage`
        : `min_encryption_version -> ${version + 1}`,
    );
  }
  const before = d.encryptingVersion;
  const after = encryptingAfter(d, affected, newState);
  if (before !== after) {
    changes.push(`encryption: version ${before ?? 'none'} -> ${after === undefined ? 'none' : `version ${after}`}`);
  }

  const refusals: Refusal[] = [];
  const warnings: string[] = [];
  const encrypting = ADMIN_ERROR_CODES.keyVersionEncrypting;
  if (action === 'destroy' && before !== undefined && affected.has(before)) {
    const fallback =
      after === undefined ? 'no version would encrypt' : `encryption would fall back to version ${after}`;
    refusals.push({
      code: encrypting,
      message: `version ${before} of ${d.keyId} encrypts new payloads: destroying it means ${fallback} (rotate first)`,
    });
  }
  if (action === 'deactivate' && before !== undefined && after === undefined) {
    refusals.push({
      code: encrypting,
      message: `version ${version} is the last active version of ${d.keyId}: deactivating it makes every encode fail`,
    });
  }
  const usage = checkUsage(input, affectedVersions, refusals, warnings);
  if (force) for (const refusal of refusals) warnings.push(`--force: going ahead although ${refusal.message}`);
  return {
    action,
    source: d.source,
    keyId: d.keyId,
    version,
    affectedVersions,
    changes,
    refusals,
    warnings,
    usage,
    force,
    proceeds: force || refusals.length === 0,
  };
}

function checkUsage(input: RetireInput, affected: readonly number[], refusals: Refusal[], warnings: string[]) {
  const { action, description: d } = input;
  if ('skipped' in input.usage) {
    const which = affected.length === 1 ? `version ${affected[0]}` : `versions ${affected.join(', ')}`;
    warnings.push(`Temporal not checked (${input.usage.skipped}): open workflows or schedules may still need ${which}`);
    return { checked: false, reason: input.usage.skipped } as const;
  }
  const report = input.usage;
  const retention = report.retentionMs === null ? 'retention' : `retention of ${formatDuration(report.retentionMs)}`;
  const versions = affected.map(
    (version): VersionUsage =>
      report.versions.find((v) => v.keyId === d.keyId && v.version === version) ?? {
        keyId: d.keyId,
        version,
        open: NONE,
        schedules: NONE,
        closed: report.includeClosed ? NONE : null,
        oldestUse: null,
        newestUse: null,
      },
  );
  for (const v of versions) {
    const { open, schedules, closed } = v;
    if (open.subjects > 0 || schedules.subjects > 0) {
      const who = [
        ...(open.subjects > 0 ? [`${plural(open.subjects, 'open workflow')}${named(open)}`] : []),
        ...(schedules.subjects > 0 ? [`${plural(schedules.subjects, 'schedule')}${named(schedules)}`] : []),
      ].join(' and ');
      const fix = [
        ...(open.subjects > 0 ? ['wait for the workflows to close'] : []),
        ...(schedules.subjects > 0 ? ['run temporal-codec schedules reencrypt'] : []),
      ].join(', ');
      refusals.push({
        code: ADMIN_ERROR_CODES.keyVersionInUse,
        message: `version ${v.version} of ${d.keyId} is still needed by ${who} in namespace ${report.namespace} (${fix})`,
      });
    }
    if (action === 'destroy' && closed !== null && closed.subjects > 0) {
      warnings.push(
        `${plural(closed.subjects, 'closed workflow')}${named(closed)} within the namespace's ${retention} hold ` +
          `${plural(closed.payloads, 'payload')} under version ${v.version}: they become unreadable for good`,
      );
    }
  }
  if (action === 'destroy' && !report.includeClosed) {
    warnings.push(`closed workflows within the namespace's ${retention} were not checked (add --include-closed)`);
  }
  return { checked: true, includeClosed: report.includeClosed, retentionMs: report.retentionMs, versions } as const;
}
