import { configTableMarkdown } from './config-docs.js';

/** The heading whose first table is the settings table in docs/codec-server.md. */
export const CONFIG_DOCS_HEADING = '## Configuration';

/**
 * The settings table of a docs page (the first table after {@link CONFIG_DOCS_HEADING}), as `[start, end)` line
 * indexes; `undefined` when the page has no such table.
 */
export function findConfigTable(lines: readonly string[]): { start: number; end: number } | undefined {
  const heading = lines.indexOf(CONFIG_DOCS_HEADING);
  if (heading < 0) return undefined;
  const start = lines.findIndex((line, i) => i > heading && line.startsWith('|'));
  if (start < 0) return undefined;
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end += 1;
  return { start, end };
}

/** `markdown` with its settings table replaced by the one generated from the settings table. */
export function withConfigTable(markdown: string): string {
  const lines = markdown.split('\n');
  const table = findConfigTable(lines);
  if (table === undefined) throw new Error(`no table after "${CONFIG_DOCS_HEADING}"`);
  const generated = configTableMarkdown().trimEnd().split('\n');
  return [...lines.slice(0, table.start), ...generated, ...lines.slice(table.end)].join('\n');
}
