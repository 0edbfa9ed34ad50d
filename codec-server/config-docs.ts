import type { SettingSpec } from '../codec/index.js';
import { SERVER_SETTINGS } from './config-settings.js';

/** The `--help` text, from the settings table. */
export function usage(): string {
  const rows = Object.values(SERVER_SETTINGS).map((spec: SettingSpec) => {
    const flag = spec.flag === undefined ? '' : `--${spec.flag}${spec.type === 'string' ? ' <value>' : ''}`;
    const env = spec.env === undefined ? '' : ` [${spec.env}]`;
    return `  ${`${flag}${env}`.padEnd(58)} ${spec.help}`;
  });
  return ['Usage: temporal-codec-server [options]', '', 'Options (flag [environment variable]):', ...rows, ''].join(
    '\n',
  );
}

/** The cells of the docs table (docs/codec-server.md, "Configuration"): header first, one row per setting. */
export function configTableRows(): string[][] {
  const rows = Object.values(SERVER_SETTINGS).map((spec: SettingSpec) => [
    spec.flag === undefined ? '' : `\`--${spec.flag}\``,
    spec.env === undefined ? '' : `\`${spec.env}\``,
    spec.docsDefault,
    spec.docs,
  ]);
  return [['flag', 'environment', 'default', 'meaning'], ...rows];
}

/** The docs table as markdown, columns padded the way Prettier formats tables. */
export function configTableMarkdown(): string {
  const rows = configTableRows();
  const widths = rows[0]!.map((_, column) => Math.max(3, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const [header = [], ...body] = rows;
  return [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...body.map(line), ''].join(
    '\n',
  );
}
