import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_SETTINGS } from '../../codec-server/config-settings.js';
import { loadConfig } from '../../codec-server/config.js';
import { chartDir, only, podEnvironment, podOf, renderChart, runTool, type Manifest } from '../support/helm-chart.js';

// deploy/helm/temporal-codec-server, rendered by a real helm and checked against the Kubernetes API schemas that the
// kubernetes-validate package ships (offline), for its default values and the values files under its ci/ folder.
const work = mkdtempSync(join(tmpdir(), 'codec-helm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CASES = [
  { name: 'default values', files: [] },
  { name: 'Transit + JWT + TLS', files: ['transit-jwt-tls-values.yaml'] },
  { name: 'KV + AppRole + static tokens', files: ['kv-approle-static-values.yaml'] },
] as const;
// The chart's kubeVersion floor, and the newest release whose schemas kubernetes-validate ships.
const KUBE_VERSIONS = ['1.25.0', '1.37.0'];
const SERVER_ENV = new Set(
  Object.values(SERVER_SETTINGS).flatMap((spec: { env?: string }) => (spec.env === undefined ? [] : [spec.env])),
);
const SECRET_ENV = ['VAULT_TOKEN', 'VAULT_SECRET_ID', 'CODEC_JWT_SECRET'];
// Stand-ins for the Secrets an operator creates; the chart itself must never create one.
const CLUSTER = {
  secrets: {
    'temporal-codec-server-tls': { 'tls.crt': 'CERT', 'tls.key': 'KEY' },
    'temporal-codec-server-approle': { 'role-id': 'role', 'secret-id': 'secret' },
    'temporal-codec-server-tokens': { 'tokens.json': '{}' },
  },
  serviceAccountToken: 'a.projected.token',
};

async function rendered(files: readonly string[], kubeVersion?: string): Promise<Manifest[]> {
  const run = await renderChart({ valuesFiles: files, ...(kubeVersion === undefined ? {} : { kubeVersion }) });
  expect(run.code, run.stderr).toBe(0);
  return run.manifests;
}

/** The server configuration the rendered Deployment's pod would start with (`loadConfig`, as `main.ts` runs it). */
async function serverConfigOf(files: readonly string[]) {
  const deployment = only(await rendered(files), 'Deployment');
  const env = podEnvironment(deployment, CLUSTER, mkdtempSync(join(work, 'pod-')));
  return { env, config: loadConfig(env, []), pod: podOf(deployment) };
}

describe('the Helm chart', () => {
  it('passes helm lint --strict with its default values and each ci/ values file', async () => {
    for (const { files } of CASES) {
      const lint = await runTool('helm', [
        'lint',
        '--strict',
        chartDir,
        ...files.flatMap((f) => ['-f', `${chartDir}/ci/${f}`]),
      ]);
      expect(lint.code, `${lint.stdout}${lint.stderr}`).toBe(0);
    }
  });

  it.each(CASES.flatMap((c) => KUBE_VERSIONS.map((v) => [c.name, v, c.files] as const)))(
    '%s: every manifest is valid against the Kubernetes %s schemas',
    async (name, kubeVersion, files) => {
      const run = await renderChart({ valuesFiles: files, kubeVersion });
      expect(run.code, run.stderr).toBe(0);
      const { manifests } = run;
      const file = join(work, `${name.replace(/\W+/g, '-')}-${kubeVersion}.yaml`);
      writeFileSync(file, run.stdout);
      const check = await runTool('kubernetes-validate', ['--strict', '-k', kubeVersion, file]);
      expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
      const core = manifests.filter((m) => m.kind !== 'ServiceMonitor');
      expect(check.stdout.match(/passed for resource/g)).toHaveLength(core.length);
      // The Prometheus Operator's CRD is the one schema kubernetes-validate has not: it says so, and nothing else.
      const warnings = check.stdout.split('\n').filter((line) => line.startsWith('WARN'));
      expect(warnings).toEqual(manifests.length > core.length ? [expect.stringContaining('kind ServiceMonitor')] : []);
    },
  );

  it('default values: a Deployment of 2 non-root pods with a read-only root, probes, a PDB and Kubernetes login', async () => {
    const manifests = await rendered([]);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    const deployment = only(manifests, 'Deployment');
    expect(deployment.spec).toMatchObject({ replicas: 2 });
    const { spec, container } = podOf(deployment);
    expect(spec).toMatchObject({ securityContext: { runAsNonRoot: true }, automountServiceAccountToken: false });
    expect(container).toMatchObject({
      securityContext: {
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
      readinessProbe: { httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' } },
      resources: { requests: { cpu: '100m' } },
    });
    const { config } = await serverConfigOf([]);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8081, allowedHosts: [] });
    expect(config.keySource).toMatchObject({
      kind: 'vault-kv',
      auth: { method: 'kubernetes', role: 'temporal-codec-server' },
    });
    // The projected token (audience vault) is the file the server logs in with.
    const auth = config.keySource.kind === 'local' ? undefined : config.keySource.auth;
    expect((auth as { jwt?: { file?: string } }).jwt?.file).toMatch(/vault-token\/token$/);
    expect(only(manifests, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
  });

  it('Transit + JWT + TLS: https probes and scrapes, an HPA instead of replicas, Ingress TLS, a ServiceMonitor', async () => {
    const manifests = await rendered(['transit-jwt-tls-values.yaml']);
    const deployment = only(manifests, 'Deployment');
    expect(deployment.spec).not.toHaveProperty('replicas');
    expect(only(manifests, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    expect(only(manifests, 'Ingress').spec).toMatchObject({ tls: [{ secretName: 'codec-example-com-tls' }] });
    const service = only(manifests, 'Service');
    const monitor = only(manifests, 'ServiceMonitor');
    expect(monitor.spec).toMatchObject({ selector: { matchLabels: (service.spec as { selector: object }).selector } });
    expect(monitor.spec).toMatchObject({ endpoints: [{ port: 'http', path: '/metrics', scheme: 'https' }] });
    expect((service.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name)).toContain('http');
    const { config, pod } = await serverConfigOf(['transit-jwt-tls-values.yaml']);
    expect(pod.container).toMatchObject({ readinessProbe: { httpGet: { scheme: 'HTTPS' } } });
    expect(config.keySource).toMatchObject({
      kind: 'vault-transit',
      vaultNamespace: 'temporal',
      auth: { method: 'kubernetes' },
    });
    expect(config.auth).toMatchObject({ mode: 'jwt', jwksUrl: 'https://login.example.com/.well-known/jwks.json' });
    expect(config.listen.tls?.certPath).toMatch(/tls\/tls\.crt$/);
    expect(config.namespaces).toEqual({ default: 'orders', allowed: ['orders', 'payments'] });
  });

  it('KV + AppRole + static tokens: credentials as files from the Secrets, re-read at each login', async () => {
    const { config } = await serverConfigOf(['kv-approle-static-values.yaml']);
    expect(config.keySource).toMatchObject({
      kind: 'vault-kv',
      auth: { method: 'approle' },
    });
    const auth = (config.keySource as { auth: { roleId: { file: string }; secretId: { file: string } } }).auth;
    expect([auth.roleId.file, auth.secretId.file]).toEqual([
      expect.stringMatching(/approle\/role-id$/) as string,
      expect.stringMatching(/approle\/secret-id$/) as string,
    ]);
    expect(config.auth).toMatchObject({ mode: 'static' });
    expect((config.auth as { tokensFile: string }).tokensFile).toMatch(/auth-tokens\/tokens\.json$/);
    expect(config.workers).toBe(2);
  });

  it('configures the server only through the variables it reads, and secrets only from Secrets', async () => {
    for (const { files } of CASES) {
      const manifests = await rendered(files);
      expect(manifests.filter((m) => m.kind === 'Secret' || m.kind === 'ConfigMap')).toEqual([]);
      const { container } = podOf(only(manifests, 'Deployment'));
      const env = container.env as Array<{ name: string; value?: string; valueFrom?: unknown }>;
      expect(env.map((e) => e.name).filter((name) => !SERVER_ENV.has(name))).toEqual([]);
      for (const variable of env.filter((e) => SECRET_ENV.includes(e.name))) {
        expect(Object.keys(variable)).toEqual(['name', 'valueFrom']);
        expect(variable.valueFrom).toHaveProperty('secretKeyRef');
      }
    }
    const token = await renderChart({
      set: ['vault.auth.method=token', 'vault.auth.token.existingSecret=vault-token'],
    });
    const env = podOf(only(token.manifests, 'Deployment')).container.env as Array<{ name: string }>;
    expect(env.find((e) => e.name === 'VAULT_TOKEN')).toEqual({
      name: 'VAULT_TOKEN',
      valueFrom: { secretKeyRef: { name: 'vault-token', key: 'token' } },
    });
  });

  it.each([
    [['vault.token=s.secret'], "additional properties 'token' not allowed"],
    [['auth.jwt.secret.value=hunter2'], "additional properties 'value' not allowed"],
    [['keySource=local'], 'keySource'],
    [['vault.addr='], 'vault.addr is required'],
    [['vault.auth.method=approle'], 'vault.auth.approle.existingSecret is required'],
    [['auth.mode=jwt'], 'auth.jwt.jwksUrl'],
    [['tls.enabled=true'], 'tls.existingSecret is required'],
    [['autoscaling.enabled=true', 'resources.requests=null'], 'resources.requests.cpu'],
  ])('refuses %j, naming the value to set', async (set, message) => {
    const run = await renderChart({ set });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(message);
  });
});
