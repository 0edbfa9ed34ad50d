// Regenerates the settings table of docs/codec-server.md from the codec server's settings table
// (codec-server/config-settings.ts). Run through `npm run docs:config`, which builds first.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withConfigTable } from '../dist/codec-server/config-docs-section.js';

const page = fileURLToPath(new URL('../docs/codec-server.md', import.meta.url));
const before = readFileSync(page, 'utf8');
const after = withConfigTable(before);
writeFileSync(page, after);
process.stdout.write(
  before === after ? 'docs/codec-server.md: table up to date\n' : 'docs/codec-server.md: table regenerated\n',
);
