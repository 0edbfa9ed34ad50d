import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../codec-server/index.js';
import { loadExampleConfig } from '../../worker-example/config.js';
import { projectRoot } from '../../harness/tools.js';
import {
  composeSchemaValidator,
  composeText,
  loadCompose,
  publishedPort,
  rawCompose,
  variableReferences,
  type ComposeService,
} from './compose-file.js';

// No Docker engine runs here (nor in CI): docker-compose.yml is checked against the Compose specification's schema,
// and every value one service relies on from another is checked to line up. compose-stack.test.ts then runs the same
// programs with the same environment, without Docker.
const compose = loadCompose();
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const env = (name: string): Record<string, string> => service(name).environment ?? {};
const REPO_IMAGE_SERVICES = ['create-key', 'codec-server', 'worker', 'client'];

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const validate = composeSchemaValidator();
    expect(validate(rawCompose()), JSON.stringify(validate.errors)).toBe(true);
    // The schema rejects what Compose rejects: a misspelt key fails validation.
    expect(validate({ services: { worker: { image: 'x', enviroment: {} } } })).toBe(false);
  });

  it('needs no .env file: every variable reference has a default', () => {
    const references = variableReferences(composeText());
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) {
      expect(reference, `\${${reference.name}} needs a default`).toMatchObject({ operator: ':-' });
      expect(reference.argument).not.toBe('');
    }
  });

  it('starts every service after the services it needs, and never restarts the one-shot ones', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
        if (condition === 'service_completed_successfully') expect(service(dependency).restart).toBe('no');
        if (condition === 'service_healthy') expect(service(dependency)).toHaveProperty('healthcheck');
      }
    }
    expect(Object.keys(service('worker').depends_on ?? {}).sort()).toEqual(['create-key', 's3', 'temporal']);
    expect(service('codec-server').depends_on).toEqual({
      'create-key': { condition: 'service_completed_successfully' },
      s3: { condition: 'service_started' },
    });
  });

  it('points every Vault address at the openbao service and every Temporal address at the temporal service', () => {
    const listen = /-dev-listen-address=0\.0\.0\.0:(\d+)/.exec(service('openbao').command!.join(' '))?.[1];
    for (const [name, svc] of Object.entries(compose.services)) {
      const vars = svc.environment ?? {};
      for (const key of ['VAULT_ADDR', 'BAO_ADDR']) {
        if (vars[key] !== undefined) expect(vars[key], `${name} ${key}`).toBe(`http://openbao:${listen}`);
      }
      if (vars.TEMPORAL_ADDRESS !== undefined) expect(vars.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
    expect(service('temporal').command).toEqual(expect.arrayContaining(['--ip', '0.0.0.0']));
  });

  it('gives the codec server a configuration it accepts, listening on the port it publishes', () => {
    const config = loadConfig(env('codec-server'), service('codec-server').command!.slice(2));
    expect(config.keySource).toMatchObject({ kind: 'vault-kv', addr: 'http://openbao:8200' });
    expect(env('codec-server').VAULT_TOKEN).toBe(env('openbao-init').CODEC_SERVER_VAULT_TOKEN);
    expect(config.listen.host).toBe('0.0.0.0');
    expect(publishedPort(service('codec-server'), config.listen.port)).toBe(8081);
  });

  it('points the Web UI at the codec server as the browser sees it, and the codec server lets that origin in', () => {
    const ui = env('temporal-ui');
    const uiPort = publishedPort(service('temporal-ui'), Number(ui.TEMPORAL_UI_PORT));
    const codecPort = publishedPort(service('codec-server'), Number(env('codec-server').PORT));
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${codecPort}`);
    const { cors } = loadConfig(env('codec-server'), []);
    expect(cors.origins).toEqual(expect.arrayContaining([`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`]));
    expect(ui.TEMPORAL_CORS_ORIGINS).toBe(`http://localhost:${uiPort}`);
    // Overriding the published ports moves both ends together.
    const moved = loadCompose({ TEMPORAL_UI_PORT: '9080', CODEC_SERVER_PORT: '9081' });
    expect(moved.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:9081');
    expect(loadConfig(moved.services['codec-server']!.environment!, []).cors.origins).toContain(
      'http://localhost:9080',
    );
  });

  it('gives the worker and the client configurations they accept, with the token the init step creates for them', () => {
    for (const name of ['worker', 'client']) {
      const config = loadExampleConfig(env(name));
      expect(config).toMatchObject({
        temporalAddress: 'temporal:7233',
        namespace: 'default',
        taskQueue: 'encrypted-orders',
      });
      expect(config.keySource).toMatchObject({
        kind: 'vault-kv',
        auth: { method: 'token', token: env('openbao-init').WORKER_VAULT_TOKEN },
      });
    }
    expect(env('codec-server').VAULT_TOKEN).toBe(env('openbao-init').CODEC_SERVER_VAULT_TOKEN);
    expect(env('create-key').VAULT_TOKEN).toBe(env('openbao-init').KEY_ADMIN_VAULT_TOKEN);
    expect(env('openbao-init').BAO_TOKEN).toBe(
      /-dev-root-token-id=(.+)$/.exec(service('openbao').command!.find((a) => a.startsWith('-dev-root'))!)?.[1],
    );
  });

  it('gives codec server, worker and client the s3 service as their store, with the credentials it checks', () => {
    const s3 = env('s3');
    const port = /:(\d+)$/.exec(s3.S3PROXY_ENDPOINT!)?.[1];
    const bucketDir = /mkdir -p \/data\/(\S+)/.exec(service('s3-init').entrypoint!.join(' '))?.[1];
    const { storage } = loadConfig(env('codec-server'), []);
    expect(storage.shared).toMatchObject({ bucket: bucketDir, endpoint: `http://s3:${port}` });
    for (const name of ['codec-server', 'worker', 'client']) {
      expect(env(name).AWS_ACCESS_KEY_ID, name).toBe(s3.S3PROXY_IDENTITY);
      expect(env(name).AWS_SECRET_ACCESS_KEY, name).toBe(s3.S3PROXY_CREDENTIAL);
    }
    // Off unless asked for; with EXTERNAL_STORAGE=s3 worker and client store in the codec server's bucket.
    expect(loadExampleConfig(env('worker')).storage).toBeUndefined();
    const opted = loadCompose({ EXTERNAL_STORAGE: 's3' });
    for (const name of ['worker', 'client']) {
      const config = loadExampleConfig(opted.services[name]!.environment!);
      expect(config.storage).toMatchObject({ bucket: storage.shared?.bucket, endpoint: storage.shared?.endpoint });
    }
  });

  it('runs programs and scripts that exist, from the image the Dockerfile builds', () => {
    const dockerfile = readFileSync(resolve(projectRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/codec-server\/main\.js"\]$/m);
    const images = new Set(REPO_IMAGE_SERVICES.map((name) => service(name).image));
    expect(images).toEqual(new Set(['temporal-vault-codec:dev']));
    for (const name of REPO_IMAGE_SERVICES) {
      expect(service(name).build).toBe('.');
      const [program, script] = service(name).command!;
      // dist/x/y.js is compiled from x/y.ts; shell scripts run as they are.
      const source = program === 'node' ? script!.replace(/^dist\//, '').replace(/\.js$/, '.ts') : script!;
      expect(existsSync(resolve(projectRoot, source)), `${name}: ${source}`).toBe(true);
    }
    for (const volume of service('openbao-init').volumes ?? []) {
      expect(existsSync(resolve(projectRoot, volume.split(':')[0]!))).toBe(true);
    }
    const init = readFileSync(resolve(projectRoot, 'deploy/openbao/init.sh'), 'utf8');
    for (const policy of init
      .match(/for policy in ([\w\s-]+); do/)![1]!
      .trim()
      .split(/\s+/)) {
      expect(existsSync(resolve(projectRoot, 'policies', `${policy}.hcl`)), policy).toBe(true);
    }
  });
});
