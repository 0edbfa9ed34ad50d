import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEY_SOURCE_SETTINGS } from '../../codec/index.js';
import { configTableRows, SERVER_SETTINGS, usage } from '../../codec-server/index.js';
import { findConfigTable } from '../../codec-server/config-docs-section.js';

const page = readFileSync(new URL('../../docs/codec-server.md', import.meta.url), 'utf8');

/** The cells of a markdown table's rows, trimmed, without the separator row. */
function cells(lines: readonly string[]): string[][] {
  return lines
    .filter((line) => !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

describe('codec server settings: one table for parsing, --help and the docs', () => {
  it('the docs table under "## Configuration" is the one generated from the settings (npm run docs:config)', () => {
    const lines = page.split('\n');
    const table = findConfigTable(lines);
    expect(table).toBeDefined();
    expect(cells(lines.slice(table!.start, table!.end))).toEqual(configTableRows());
  });

  it('lists every setting once, in --help and in the docs, with the key source settings of the library', () => {
    const flags = Object.values(SERVER_SETTINGS).flatMap((spec) => (spec.flag === undefined ? [] : [spec.flag]));
    expect(new Set(flags).size).toBe(flags.length);
    for (const flag of flags) expect(usage()).toContain(`--${flag}`);
    for (const name of Object.keys(KEY_SOURCE_SETTINGS)) expect(SERVER_SETTINGS).toHaveProperty(name);
    expect(configTableRows()).toHaveLength(Object.keys(SERVER_SETTINGS).length + 1);
  });
});
