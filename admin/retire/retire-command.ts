import { CodecError, ERROR_CODES, type KeyVersionInfo } from '../../codec/index.js';
import { ADMIN_ERROR_CODES, AdminError } from '../admin-error.js';
import type { CliCommand } from '../cli-options.js';
import type { CommandContext } from '../command-context.js';
import type { KeyAdmin, KeySourceKind } from '../key-admin.js';
import { scanUsage } from '../usage/usage-command.js';
import { planRetirement, type RetirePlan } from './retire-plan.js';

/** The result of `keys deactivate|destroy`: done (with the checks it passed), or a dry run's plan. */
export type RetireResult =
  | {
      readonly kind: 'version';
      readonly source: KeySourceKind;
      readonly keyId: string;
      readonly action: 'deactivated' | 'destroyed';
      readonly version: KeyVersionInfo;
      readonly plan: RetirePlan;
    }
  | { readonly kind: 'retire-plan'; readonly dryRun: true; readonly plan: RetirePlan };

/**
 * `keys deactivate` and `keys destroy`: describe the key, ask Temporal who still needs the versions the change
 * touches (when an address is configured), plan, then refuse, show (`--dry-run`) or apply. Warnings go to stderr.
 */
export async function runRetire(cmd: CliCommand, admin: KeyAdmin, ctx: CommandContext): Promise<RetireResult> {
  const keyId = cmd.namespace ?? '';
  const version = cmd.version ?? 0;
  const action = cmd.command === 'destroy' ? 'destroy' : 'deactivate';
  if (action === 'destroy' && !cmd.yes && !cmd.dryRun) {
    throw new CodecError(
      ERROR_CODES.invalidArgument,
      `Refusing to destroy version ${version} of ${JSON.stringify(keyId)} without --yes: every payload sealed ` +
        'with it (in every workflow history that holds one) becomes unreadable, for good',
      { context: { keyId, version, field: 'yes' } },
    );
  }
  const description = await admin.describeKey(keyId);
  const usage =
    cmd.temporal === undefined
      ? { skipped: 'no --temporal-address or TEMPORAL_ADDRESS' }
      : await scanUsage(cmd, ctx, `keys ${action}: checking Temporal`);
  const plan = planRetirement({ action, description, version, usage, force: cmd.force });
  for (const warning of plan.warnings) ctx.warn(`warning: ${warning}`);
  if (cmd.dryRun) return { kind: 'retire-plan', dryRun: true, plan };
  const [first] = plan.refusals;
  if (!plan.proceeds && first !== undefined) {
    const message = `Refusing to ${action} version ${version} of ${keyId}: ${plan.refusals.map((r) => r.message).join('; ')}. --force overrides.`;
    throw new AdminError(first.code, message, { context: { keyId, version, namespace: keyId } });
  }
  if (ctx.signal?.aborted === true) {
    throw new AdminError(ADMIN_ERROR_CODES.interrupted, `Interrupted before the ${action}; nothing was changed`);
  }
  const info = await admin.setVersionState(keyId, version, action === 'destroy' ? 'destroyed' : 'inactive');
  return {
    kind: 'version',
    source: admin.source,
    keyId,
    action: action === 'destroy' ? 'destroyed' : 'deactivated',
    version: info,
    plan,
  };
}
