import { formatDuration } from '../codec/index.js';
import type { CommandResult, RotationOutcome } from './commands.js';
import type { KeyDescription } from './key-admin.js';
import { renderRetirePlan, retireCheckLine } from './retire/render-retire.js';
import { renderReencrypt } from './schedules/render-reencrypt.js';
import { table } from './text-table.js';
import { renderUsage } from './usage/render-usage.js';

/** Renders a result as JSON (one document, stable field names) for scripts. */
export function renderJson(result: CommandResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Renders a result for a person: a sentence and, where there are rows, an aligned table. */
export function renderText(result: CommandResult): string {
  switch (result.kind) {
    case 'keys':
      if (result.keys.length === 0) return `No keys in ${result.source}.\n`;
      return table(
        ['KEY', 'ENCRYPTS WITH', 'VERSIONS', 'NEWEST CREATED'],
        result.keys.map((k) => [
          k.keyId,
          versionText(k.encryptingVersion),
          String(k.versions),
          k.newestCreatedAt || '-',
        ]),
      );
    case 'key':
      return describe(result.description, result.created);
    case 'version':
      return (
        `${capitalise(result.action)} version ${result.version.version} of ${result.keyId} (${result.source}); ` +
        `it is now ${result.version.state}.\n${'plan' in result ? retireCheckLine(result.plan) : ''}`
      );
    case 'rotation':
      return result.results.map(rotationLine).join('');
    case 'retire-plan':
      return renderRetirePlan(result.plan);
    case 'usage':
      return renderUsage(result);
    case 'reencrypt':
      return renderReencrypt(result);
  }
}

function describe(d: KeyDescription, created: boolean): string {
  const lines = [`${created ? 'Created key' : 'Key'} ${d.keyId} (${d.source}, ${d.location})`];
  lines.push(
    d.encryptingVersion === undefined
      ? 'No version is active: encryption fails until the key is rotated or a version is activated.'
      : `New payloads are sealed with version ${d.encryptingVersion}.`,
  );
  if (d.autoRotatePeriodMs !== undefined) {
    lines.push(
      d.autoRotatePeriodMs > 0
        ? `Vault rotates it every ${formatDuration(d.autoRotatePeriodMs)}.`
        : 'Automatic rotation is off.',
    );
  }
  for (const warning of d.warnings) lines.push(`WARNING: ${warning}`);
  const rows = d.versions.map((v) => [
    String(v.version),
    v.createdAt || '-',
    v.state,
    v.version === d.encryptingVersion ? 'encrypts' : '',
  ]);
  return `${lines.join('\n')}\n\n${table(['VERSION', 'CREATED', 'STATE', ''], rows)}`;
}

function rotationLine(r: RotationOutcome): string {
  const auto = r.autoRotatePeriodMs ? ` Vault rotates it every ${formatDuration(r.autoRotatePeriodMs)}.` : '';
  if (r.rotated)
    return `${r.keyId}: rotated (${r.reason}); version ${versionText(r.nowEncrypting)} encrypts now.${auto}\n`;
  return `${r.keyId}: not due (version ${versionText(r.encryptingVersion)} is due at ${r.dueAt ?? '-'}).${auto}\n`;
}

function versionText(version: number | undefined): string {
  return version === undefined ? 'none' : String(version);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
