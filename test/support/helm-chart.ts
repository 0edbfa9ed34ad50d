import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { projectRoot, resolveTool } from '../../harness/tools.js';

/** The chart's folder. */
export const chartDir: string = resolve(projectRoot, 'deploy', 'helm', 'temporal-codec-server');

/** A rendered Kubernetes object, loosely typed: the tests read the fields they check. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** Outcome of a helm or kubernetes-validate run. */
export interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool resolved by `resolveTool`; resolves whatever the exit code. */
export function runTool(name: 'helm' | 'kubernetes-validate', args: readonly string[]): Promise<ToolRun> {
  const bin = resolveTool(name);
  return new Promise((resolveRun) => {
    execFile(
      bin,
      args,
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        resolveRun({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      },
    );
  });
}

/** Options of {@link renderChart}. */
export interface RenderOptions {
  /** Values files under the chart's `ci/` folder, e.g. `transit-jwt-tls-values.yaml`. */
  readonly valuesFiles?: readonly string[];
  /** `--set` arguments. */
  readonly set?: readonly string[];
  /** `--kube-version`. */
  readonly kubeVersion?: string;
}

/** `helm template` of the chart as release `codec` in namespace `temporal`; the run, and the parsed objects. */
export async function renderChart(options: RenderOptions = {}): Promise<ToolRun & { manifests: Manifest[] }> {
  const args = ['template', 'codec', chartDir, '--namespace', 'temporal'];
  for (const file of options.valuesFiles ?? []) args.push('--values', join(chartDir, 'ci', file));
  for (const set of options.set ?? []) args.push('--set', set);
  if (options.kubeVersion !== undefined) args.push('--kube-version', options.kubeVersion);
  const result = await runTool('helm', args);
  const manifests =
    result.code === 0
      ? parseAllDocuments(result.stdout)
          .map((doc) => doc.toJS() as Manifest | null)
          .filter((m): m is Manifest => m !== null)
      : [];
  return { ...result, manifests };
}

/** The one object of `kind`; throws when there is not exactly one. */
export function only(manifests: readonly Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0]!;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
  projected?: { sources: Array<{ serviceAccountToken?: { path: string } }> };
}
interface Container {
  env: EnvVar[];
  volumeMounts: Array<{ name: string; mountPath: string }>;
  [field: string]: unknown;
}

/** The pod template's spec and its one container. */
export function podOf(deployment: Manifest): {
  spec: Record<string, unknown>;
  container: Container;
  volumes: Volume[];
} {
  const template = (deployment.spec as { template: { spec: Record<string, unknown> } }).template;
  const containers = template.spec.containers as Container[];
  return { spec: template.spec, container: containers[0]!, volumes: (template.spec.volumes ?? []) as Volume[] };
}

/** What the cluster would hold: Secrets by name and key, and the service-account token a projected volume gets. */
export interface ClusterState {
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly serviceAccountToken?: string;
}

/**
 * The container's environment as the kubelet would give it, with its Secret and projected volumes written under
 * `root` (each mount path becomes a folder there, and env values naming a file under a mount path are rewritten to
 * it): the rendered pod, minus Kubernetes. Throws when the chart references a Secret key `cluster` does not hold.
 */
export function podEnvironment(deployment: Manifest, cluster: ClusterState, root: string): Record<string, string> {
  const { container, volumes } = podOf(deployment);
  const secret = (name: string, key: string): string => {
    const value = cluster.secrets[name]?.[key];
    if (value === undefined) throw new Error(`the pod needs Secret ${name} key ${key}`);
    return value;
  };
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts) {
    const volume = volumes.find((v) => v.name === mount.name);
    const dir = join(root, mount.name);
    mkdirSync(dir, { recursive: true });
    mounts.set(mount.mountPath, dir);
    for (const item of volume?.secret?.items ?? []) {
      writeFileSync(join(dir, item.path), secret(volume!.secret!.secretName, item.key), { mode: 0o400 });
    }
    for (const source of volume?.projected?.sources ?? []) {
      if (source.serviceAccountToken === undefined) continue;
      if (cluster.serviceAccountToken === undefined) throw new Error('the pod needs a service-account token');
      writeFileSync(join(dir, source.serviceAccountToken.path), cluster.serviceAccountToken, { mode: 0o400 });
    }
  }
  const env: Record<string, string> = {};
  for (const variable of container.env) {
    const ref = variable.valueFrom?.secretKeyRef;
    let value = ref === undefined ? (variable.value ?? '') : secret(ref.name, ref.key);
    for (const [mountPath, dir] of mounts) {
      if (value.startsWith(`${mountPath}/`)) value = `${dir}${value.slice(mountPath.length)}`;
    }
    env[variable.name] = value;
  }
  return env;
}
