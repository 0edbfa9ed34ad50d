import {
  evaluateRotation,
  MIN_AUTO_ROTATE_PERIOD_MS,
  type KeyVersionInfo,
  type RotationDecision,
} from '../codec/index.js';
import type { CliCommand } from './cli-options.js';
import type { CommandContext } from './command-context.js';
import type { KeyAdmin, KeyDescription, KeySourceKind } from './key-admin.js';
import { runRetire, type RetireResult } from './retire/retire-command.js';
import { runReencrypt, type ReencryptResult } from './schedules/reencrypt-command.js';
import { runUsage, type UsageResult } from './usage/usage-command.js';

/** One row of `keys list`. */
export interface KeySummary {
  readonly keyId: string;
  readonly encryptingVersion: number | undefined;
  readonly versions: number;
  readonly newestCreatedAt: string;
}

/** What `rotate-if-older` did for one key. */
export interface RotationOutcome extends RotationDecision {
  readonly keyId: string;
  readonly rotated: boolean;
  /** The version that encrypts after the command. */
  readonly nowEncrypting: number | undefined;
  /** Transit: the automatic rotation period now set on the key. */
  readonly autoRotatePeriodMs?: number;
}

/** The result of a command, rendered as a table or as JSON. */
export type CommandResult =
  | { readonly kind: 'keys'; readonly source: KeySourceKind; readonly keys: readonly KeySummary[] }
  | { readonly kind: 'key'; readonly description: KeyDescription; readonly created: boolean }
  | {
      readonly kind: 'version';
      readonly source: KeySourceKind;
      readonly keyId: string;
      readonly action: 'rotated' | 'activated';
      readonly version: KeyVersionInfo;
    }
  | { readonly kind: 'rotation'; readonly source: KeySourceKind; readonly results: readonly RotationOutcome[] }
  | RetireResult
  | UsageResult
  | ReencryptResult;

/**
 * Runs one parsed command against a key source. Refusals are `CodecError`s (ERR_INVALID_ARGUMENT for a missing
 * `--yes`), so the caller maps every failure to an exit code the same way.
 */
export async function runCommand(cmd: CliCommand, admin: KeyAdmin, ctx: CommandContext): Promise<CommandResult> {
  const keyId = cmd.namespace ?? '';
  switch (cmd.command) {
    case 'list':
      if (cmd.namespace !== undefined)
        return { kind: 'key', description: await admin.describeKey(keyId), created: false };
      return { kind: 'keys', source: admin.source, keys: await summaries(admin) };
    case 'describe':
      return { kind: 'key', description: await admin.describeKey(keyId), created: false };
    case 'create': {
      await admin.createKey(keyId);
      if (cmd.autoRotateMs !== undefined) await admin.setAutoRotatePeriod(keyId, cmd.autoRotateMs);
      return { kind: 'key', description: await admin.describeKey(keyId), created: true };
    }
    case 'rotate':
      return { kind: 'version', source: admin.source, keyId, action: 'rotated', version: await admin.rotateKey(keyId) };
    case 'activate': {
      const info = await admin.setVersionState(keyId, cmd.version ?? 0, 'active');
      return { kind: 'version', source: admin.source, keyId, action: 'activated', version: info };
    }
    case 'deactivate':
    case 'destroy':
      return runRetire(cmd, admin, ctx);
    case 'usage':
      return runUsage(cmd, admin, ctx);
    case 'schedules-reencrypt':
      return runReencrypt(cmd, ctx);
    case 'rotate-if-older': {
      const keyIds = cmd.all ? await admin.listKeys() : [keyId];
      const results: RotationOutcome[] = [];
      for (const id of keyIds) results.push(await rotateIfOlder(admin, id, cmd.maxAgeMs ?? 0, ctx.now));
      return { kind: 'rotation', source: admin.source, results };
    }
  }
}

async function rotateIfOlder(admin: KeyAdmin, keyId: string, maxAgeMs: number, now: () => number) {
  const before = await admin.describeKey(keyId);
  const decision = evaluateRotation(before.versions, { maxAgeMs }, now());
  let autoRotatePeriodMs = before.autoRotatePeriodMs;
  // Where the source rotates by itself (Transit), hand it the policy so it keeps rotating without this command.
  if (autoRotatePeriodMs !== undefined && autoRotatePeriodMs !== maxAgeMs && maxAgeMs >= MIN_AUTO_ROTATE_PERIOD_MS) {
    if (await admin.setAutoRotatePeriod(keyId, maxAgeMs)) autoRotatePeriodMs = maxAgeMs;
  }
  const rotated = decision.due ? await admin.rotateKey(keyId) : undefined;
  const outcome: RotationOutcome = {
    ...decision,
    keyId,
    rotated: rotated !== undefined,
    nowEncrypting: rotated?.version ?? before.encryptingVersion,
    ...(autoRotatePeriodMs === undefined ? {} : { autoRotatePeriodMs }),
  };
  return outcome;
}

async function summaries(admin: KeyAdmin): Promise<KeySummary[]> {
  const result: KeySummary[] = [];
  for (const keyId of (await admin.listKeys()).sort()) {
    const description = await admin.describeKey(keyId);
    const newest = description.versions[description.versions.length - 1];
    result.push({
      keyId,
      encryptingVersion: description.encryptingVersion,
      versions: description.versions.length,
      newestCreatedAt: newest?.createdAt ?? '',
    });
  }
  return result;
}
