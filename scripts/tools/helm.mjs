/**
 * `helm`, for the chart's tests (`helm lint`, `helm template`). Resolution order: `HELM_BIN`, `helm` on PATH, an
 * earlier build in `.tools/bin`, and finally a build from source with the Go toolchain:
 * `go install helm.sh/helm/v3/cmd/helm@<pinned>` with `GOBIN=.tools/bin`. Go fetches the modules through the Go module
 * proxy (whatever `GOPROXY` says) and keeps them in the user's own Go caches, as for any Go build, so a second clone
 * on the same machine builds in seconds. Helm publishes no package on the registries CI reaches, hence the build.
 *
 * A cold build downloads ~400 MB of modules and compiles for 2-3 CPU minutes (see docs/testing.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findOnPath, firstOutputLine, isExecutableFile } from './common.mjs';

/** The pinned Helm release. */
export const HELM_VERSION = 'v3.22.0';
/** The Kubernetes release of that Helm's client-go (v0.37.0): the default `.Capabilities.KubeVersion`. */
const KUBE_MINOR = '37';

const versionArgs = ['version', '--template', '{{.Version}}'];

function tryVersion(bin) {
  try {
    return firstOutputLine(bin, versionArgs);
  } catch {
    return undefined;
  }
}

function build(binDir) {
  const go = findOnPath(['go']);
  if (go === undefined) {
    throw new Error(
      `helm: not found (checked $HELM_BIN and PATH) and no Go toolchain to build it; install Go, or put helm on PATH`,
    );
  }
  mkdirSync(binDir, { recursive: true });
  console.log(`install-tools: helm: building helm.sh/helm/v3/cmd/helm@${HELM_VERSION} with ${go} (cold: minutes) ...`);
  const started = Date.now();
  const result = spawnSync(
    go,
    [
      'install',
      // What Helm's Makefile stamps into a release build: without it `helm version` says "v3.22" and charts are
      // rendered for Kubernetes 1.20.
      `-ldflags=${[
        '-s -w',
        `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
        ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${KUBE_MINOR}`,
        ]),
      ].join(' ')}`,
      `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 45 * 60_000,
      env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0' },
    },
  );
  if (result.error) throw new Error(`helm: go install failed to run (${result.error.message})`);
  if (result.status !== 0) throw new Error(`helm: go install helm@${HELM_VERSION} failed (exit ${result.status})`);
  console.log(`install-tools: helm: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return join(binDir, 'helm');
}

/**
 * Finds or builds helm.
 *
 * @returns `{ bin, source, version }`
 * @throws Error saying what to install when there is neither helm nor Go.
 */
export function ensureHelm(toolsDir) {
  const override = process.env.HELM_BIN;
  if (override) return { bin: resolve(override), source: '$HELM_BIN', version: tryVersion(resolve(override)) };
  const onPath = findOnPath(['helm']);
  if (onPath !== undefined) return { bin: onPath, source: 'PATH', version: tryVersion(onPath) };
  const binDir = join(toolsDir, 'bin');
  const cached = join(binDir, 'helm');
  // A build of another pin (after a version bump) is rebuilt.
  if (isExecutableFile(cached) && tryVersion(cached) === HELM_VERSION) {
    return { bin: cached, source: '.tools (cached)', version: HELM_VERSION };
  }
  const bin = build(binDir);
  return { bin, source: `go install helm@${HELM_VERSION} -> .tools`, version: tryVersion(bin) };
}
