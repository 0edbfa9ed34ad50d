import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../harness/tools.js';
import { renderSections, replaceSections } from './readme-tables.js';
import type { BenchReport } from './report.js';

// `npm run bench:readme [-- FILE]`: rewrites the README's benchmark figures from a report of
// `npm run bench -- --json [FILE]` (default bench-results.json).

const file = process.argv[2] ?? 'bench-results.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
const readme = join(projectRoot, 'README.md');
writeFileSync(readme, replaceSections(readFileSync(readme, 'utf8'), renderSections(report)));
console.log(`README.md: benchmark figures from ${file} (${report.date})`);
