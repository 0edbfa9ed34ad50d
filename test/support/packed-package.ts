import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../harness/tools.js';

const run = promisify(execFile);

/** The package as `npm pack` makes it for publishing. */
export interface PackedPackage {
  /** Absolute path of the `.tgz`. */
  readonly tarball: string;
  readonly name: string;
  readonly version: string;
  /** Paths inside the tarball, relative to its `package/` folder. */
  readonly files: readonly string[];
}

interface PackageManifest {
  name: string;
  version: string;
  files: string[];
}

/** The project's package.json. */
export function projectManifest(): PackageManifest {
  return JSON.parse(readFileSync(resolve(projectRoot, 'package.json'), 'utf8')) as PackageManifest;
}

/**
 * Builds and packs the package the way a release would (`tsc -p tsconfig.build.json`, then `npm pack`), in a staging
 * copy under `workDir`: other test files build into the project's own `dist/` at the same time, and a pack must not
 * see their half-written files. The staging copy holds what `files` lists (the build output in place of `dist/`),
 * plus what npm always packs (package.json, README, LICENSE), so the tarball is the one `npm publish` would upload.
 */
export async function packPackage(workDir: string): Promise<PackedPackage> {
  const manifest = projectManifest();
  const staging = join(workDir, 'staging');
  mkdirSync(staging, { recursive: true });
  const tsc = resolve(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(staging, 'dist')], {
    cwd: projectRoot,
    timeout: 240_000,
  });
  for (const entry of [...manifest.files.filter((f) => !f.startsWith('dist/')), 'README.md', 'LICENSE']) {
    cpSync(resolve(projectRoot, entry), join(staging, entry), { recursive: true });
  }
  writeFileSync(join(staging, 'package.json'), readFileSync(resolve(projectRoot, 'package.json')));
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], {
    cwd: staging,
    env: cleanNpmEnv(process.env),
    timeout: 120_000,
  });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (packed === undefined) throw new Error(`npm pack printed no result:\n${stdout}`);
  return {
    tarball: join(workDir, packed.filename),
    name: manifest.name,
    version: manifest.version,
    files: packed.files.map((f) => f.path),
  };
}

/**
 * `env` without what a parent `npm test` exports to its scripts (`npm_config_*`, `npm_package_*`, `npm_lifecycle_*`):
 * an npm started by a test must read its own configuration, not inherit the project's run.
 */
export function cleanNpmEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([name]) => !/^npm_(config|package|lifecycle)_/i.test(name) && !['npm_command', 'INIT_CWD'].includes(name),
    ),
  );
}
