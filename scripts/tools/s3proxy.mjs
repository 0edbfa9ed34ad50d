/**
 * S3Proxy, the S3-compatible server of the external storage tests: the `org.gaul:s3proxy` jar with its dependencies,
 * from Maven Central through Maven itself, run by a Java 17+ runtime. Chosen over moto's server because it checks
 * AWS Signature V4 against configured credentials (a wrong secret is refused as S3 refuses it) and keeps objects in
 * a directory (a killed and restarted server still has them, as S3 does after an outage).
 *
 * Resolution: `S3PROXY_JAR` (a jar path), then an earlier install under `.tools/s3proxy/`, then `mvn dependency:copy`
 * into it. Java: `JAVA_BIN`, then `java` on PATH. As root on Debian, missing Java or Maven come from apt-get.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const S3PROXY_VERSION = '2.7.0';
const ARTIFACT = `org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies`;
const JAR_NAME = `s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar`;

function javaMajor(bin) {
  // `java -version` prints to stderr, e.g. `openjdk version "17.0.15" 2025-04-15`.
  const result = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr ?? '');
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

function aptInstall(packages, fail) {
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000, env });
  console.log(`install-tools: s3proxy: installing Debian packages ${packages.join(' ')} with apt-get ...`);
  const update = run(['update', '-qq']);
  const install = update.status === 0 ? run(['install', '-y', '-qq', '--no-install-recommends', ...packages]) : update;
  if (install.error || install.status !== 0) fail(`s3proxy: apt-get install ${packages.join(' ')} failed`);
  return true;
}

/**
 * Makes sure a Java runtime and the S3Proxy jar are available.
 *
 * @param {{ toolsDir: string, findOnPath: (names: string[]) => string | undefined, fail: (message: string) => never }} ctx
 * @returns {{ jar: string, java: string, source: string, version: string }}
 */
export function installS3Proxy({ toolsDir, findOnPath, fail }) {
  let java = process.env.JAVA_BIN ? resolve(process.env.JAVA_BIN) : findOnPath(['java']);
  if (java === undefined && aptInstall(['openjdk-17-jre-headless'], fail)) java = findOnPath(['java']);
  if (java === undefined) fail('s3proxy: no Java runtime (checked $JAVA_BIN and PATH); install Java 17 or newer');
  const major = javaMajor(java);
  if (major === undefined || major < 17) fail(`s3proxy: ${java} is not a Java 17+ runtime (found ${major ?? 'none'})`);

  if (process.env.S3PROXY_JAR) {
    const jar = resolve(process.env.S3PROXY_JAR);
    if (!existsSync(jar)) fail(`s3proxy: S3PROXY_JAR=${jar} does not exist`);
    return { jar, java, source: '$S3PROXY_JAR', version: `Java ${major}` };
  }
  const dir = join(toolsDir, 's3proxy');
  const jar = join(dir, JAR_NAME);
  if (existsSync(jar)) return { jar, java, source: '.tools (cached)', version: `${S3PROXY_VERSION}, Java ${major}` };

  let mvn = findOnPath(['mvn']);
  if (mvn === undefined && aptInstall(['maven'], fail)) mvn = findOnPath(['mvn']);
  if (mvn === undefined) fail('s3proxy: Maven (mvn) is needed to fetch the S3Proxy jar from Maven Central');
  mkdirSync(dir, { recursive: true });
  console.log(`install-tools: s3proxy: fetching ${ARTIFACT} with Maven ...`);
  try {
    execFileSync(
      mvn,
      [
        '-q',
        '-B',
        // A project-local repository: nothing is left in the user's ~/.m2, and `.tools/` holds everything.
        `-Dmaven.repo.local=${join(dir, 'm2')}`,
        'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy',
        `-Dartifact=${ARTIFACT}`,
        `-DoutputDirectory=${dir}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000, cwd: dir },
    );
  } catch (error) {
    fail(
      `s3proxy: mvn dependency:copy ${ARTIFACT} failed (${error instanceof Error ? error.message.split('\n')[0] : error})`,
    );
  }
  if (!existsSync(jar)) fail(`s3proxy: Maven finished but ${jar} is missing`);
  // The repository holds a second copy of the jar and Maven's own plugins: only the copied jar is needed from now on.
  rmSync(join(dir, 'm2'), { recursive: true, force: true });
  return { jar, java, source: `Maven ${ARTIFACT} -> .tools`, version: `${S3PROXY_VERSION}, Java ${major}` };
}
