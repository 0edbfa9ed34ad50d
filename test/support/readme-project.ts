import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectRoot } from '../../harness/tools.js';

/**
 * The code blocks of README.md marked `<!-- file: PATH -->`, by path: the files a user copies into a project. The
 * tests write them unchanged, so README.md cannot show code that does not compile or run.
 *
 * @throws Error when README.md has no such block, or two for one path.
 */
export function readmeFiles(): Map<string, string> {
  const readme = readFileSync(resolve(projectRoot, 'README.md'), 'utf8');
  const files = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- file: (\S+) -->\s*```ts\n([\s\S]*?)```/g)) {
    const [, path, code] = match as unknown as [string, string, string];
    if (files.has(path)) throw new Error(`README.md shows ${path} twice`);
    files.set(path, code);
  }
  if (files.size === 0) throw new Error('README.md has no <!-- file: ... --> code blocks');
  return files;
}

/** The installed version of one of the project's own dependencies, so a scratch install hits npm's cache. */
export function installedVersion(name: string): string {
  const manifest = resolve(projectRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The user's package.json: the package from the registry, the SDK, TypeScript; ESM, as the README assumes. */
export function userPackageJson(version: string): object {
  const sdk = ['@temporalio/client', '@temporalio/worker', '@temporalio/workflow', '@temporalio/common'];
  return {
    name: 'readme-user',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries<string>([
      ['temporal-vault-codec', version],
      ...sdk.map((name): [string, string] => [name, installedVersion(name)]),
    ]),
    devDependencies: { typescript: installedVersion('typescript'), '@types/node': installedVersion('@types/node') },
    // As README.md advises; the SDK's own dependencies' scripts are not needed to run it (this project denies them).
    allowScripts: { 'temporal-vault-codec': true, '@swc/core': false, protobufjs: false },
  };
}

/** A strict consumer: `nodenext`, and the package's declaration files type-checked too (`skipLibCheck: false`). */
export const USER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};

/**
 * The files README.md leaves to the user ("your workflows and activities"): a greeting, through an activity, and a
 * refusal whose message must reach history only encrypted.
 */
export const USER_OWN_FILES: Readonly<Record<string, string>> = {
  'src/activities.ts': `export async function composeGreeting(name: string): Promise<string> {
  return \`Hello, \${name}!\`;
}
`,
  'src/workflows.ts': `import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities.js';

const { composeGreeting } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function greet(name: string): Promise<string> {
  if (name.startsWith('refused-')) throw ApplicationFailure.nonRetryable(\`no greeting for \${name}\`, 'GreetingRefused');
  return composeGreeting(name);
}
`,
};
