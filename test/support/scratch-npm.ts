import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanNpmEnv } from './packed-package.js';

const execFileAsync = promisify(execFile);

/** Outcome of a command; `code` is `null` when it was killed. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** npm, npx and node as a user of the published package runs them, in projects under one work folder. */
export interface ScratchNpm {
  /** The environment every command gets: the machine's, with npm pointed at the scratch configuration. */
  readonly env: NodeJS.ProcessEnv;
  /** Creates `<workDir>/<name>` with this package.json and files (relative paths); returns its path. */
  project(name: string, packageJson: object, files?: Readonly<Record<string, string>>): string;
  /** Runs `command args` in `cwd`; resolves whatever the exit code. */
  run(cwd: string, command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** Options of {@link ScratchNpm.run}. */
export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Default 180 s. */
  readonly timeoutMs?: number;
}

/** What npm is configured with on this machine, read once (the parent `npm test` exports the effective values). */
async function npmConfig(key: string): Promise<string> {
  const { stdout } = await execFileAsync('npm', ['config', 'get', key], { timeout: 30_000 });
  return stdout.trim();
}

/**
 * A scratch npm set-up under `workDir`: its own user configuration (`registry` = `registryUrl`, no audit, fund or
 * update notices, `prefer-offline`), so the machine's own settings (such as `strict-allow-scripts` or
 * `omit-lockfile-registry-resolved`) cannot change what the tests observe, and its own cache folder (npx installs
 * and logs stay in it) whose `_cacache` is the machine's: the tarballs `npm ci` has just fetched for the project are
 * not downloaded again.
 */
export async function createScratchNpm(workDir: string, registryUrl: string): Promise<ScratchNpm> {
  const cache = join(workDir, 'npm-cache');
  mkdirSync(cache, { recursive: true });
  symlinkSync(join(await npmConfig('cache'), '_cacache'), join(cache, '_cacache'));
  const userconfig = join(workDir, 'npmrc');
  writeFileSync(
    userconfig,
    [`registry=${registryUrl}`, `cache=${cache}`, 'prefer-offline=true', 'fund=false', 'audit=false']
      .concat(['update-notifier=false', 'loglevel=warn', ''])
      .join('\n'),
  );
  const env = { ...cleanNpmEnv(process.env), npm_config_userconfig: userconfig };
  return {
    env,
    project(name, packageJson, files = {}) {
      const dir = join(workDir, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      return dir;
    },
    run: (cwd, command, args, options = {}) =>
      new Promise((resolveRun) => {
        execFile(
          command,
          args,
          {
            cwd,
            env: { ...env, ...options.env },
            timeout: options.timeoutMs ?? 180_000,
            maxBuffer: 16 * 1024 * 1024,
            encoding: 'utf8',
          },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
            resolveRun({ code, stdout, stderr });
          },
        );
      }),
  };
}

/** The registry npm uses on this machine, for the loopback registry to forward to. */
export function upstreamRegistry(): Promise<string> {
  return npmConfig('registry');
}
