import { describe, expect, it } from 'vitest';
import { CodecError, ERROR_CODES, KUBERNETES_SERVICE_ACCOUNT_TOKEN, openKeySource } from '../../codec/index.js';
import { loadConfig, usage, type ServerConfig } from '../../codec-server/index.js';

/** The ERR_INVALID_CONFIG message `loadConfig` throws for these inputs. */
function problem(env: Record<string, string>, argv: string[]): string {
  try {
    loadConfig(env, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe(ERROR_CODES.invalidConfig);
    return (err as CodecError).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('codec server: loadConfig', () => {
  it('has defaults for local development: 127.0.0.1:8081, local keyring, no auth, the dev UI origins', () => {
    const config = loadConfig({}, []);
    expect(config).toMatchObject<Partial<ServerConfig>>({
      help: false,
      listen: { host: '127.0.0.1', port: 8081, allowedHosts: [] },
      keySource: { kind: 'local', keyringPath: '.codec-keyring.json' },
      namespaces: { default: 'default' },
      cors: { origins: ['http://localhost:8233', 'http://127.0.0.1:8233'], credentials: false, maxAgeSeconds: 600 },
      auth: { mode: 'none' },
      limits: { bodyBytes: 4 * 1024 * 1024, maxPayloads: 1000, requestTimeoutMs: 15_000 },
      logLevel: 'info',
    });
    expect(config.namespaces.allowed).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({}, []);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cors.origins)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('reads environment variables, and flags win over them', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', LOG_LEVEL: 'debug', CODEC_MAX_PAYLOADS: '5' };
    expect(loadConfig(env, []).listen).toEqual({ host: '0.0.0.0', port: 9000, allowedHosts: [] });
    const config = loadConfig(env, ['--port', '9100', '--max-payloads=7', '--log-level', 'warn']);
    expect([config.listen.port, config.limits.maxPayloads, config.logLevel]).toEqual([9100, 7, 'warn']);
  });

  it('treats an empty environment variable as unset', () => {
    expect(loadConfig({ PORT: '', VAULT_ADDR: '' }, []).keySource.kind).toBe('local');
  });

  it('switches to vault-kv when only VAULT_ADDR (and the token) is set', () => {
    const config = loadConfig({ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 'hvs.x' }, []);
    expect(config.keySource).toEqual({
      kind: 'vault-kv',
      addr: 'http://127.0.0.1:8200',
      auth: { method: 'token', token: 'hvs.x' },
      mount: 'secret',
      pathPrefix: 'temporal-codec/',
    });
    const explicit = loadConfig({ VAULT_ADDR: 'http://127.0.0.1:8200' }, ['--key-source', 'local']);
    expect(explicit.keySource.kind).toBe('local');
  });

  it('names VAULT_TOKEN when vault-kv has no token, and --vault-addr when it has no address', () => {
    expect(problem({ VAULT_ADDR: 'http://127.0.0.1:8200' }, [])).toContain('VAULT_TOKEN');
    expect(problem({ VAULT_TOKEN: 'x' }, ['--key-source', 'vault-kv'])).toContain('--vault-addr (VAULT_ADDR)');
  });

  it('selects vault-transit only when asked, with the transit mount and key prefix defaults', () => {
    const vault = { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 'hvs.x' };
    expect(loadConfig(vault, ['--key-source', 'vault-transit']).keySource).toEqual({
      kind: 'vault-transit',
      addr: 'http://127.0.0.1:8200',
      auth: { method: 'token', token: 'hvs.x' },
      mount: 'transit',
      keyPrefix: 'temporal-codec-',
    });
    const env = {
      ...vault,
      KEY_SOURCE: 'vault-transit',
      VAULT_TRANSIT_MOUNT: 'env-transit',
      VAULT_NAMESPACE: 'team-a',
    };
    expect(loadConfig(env, []).keySource).toMatchObject({ mount: 'env-transit', vaultNamespace: 'team-a' });
    const flags = loadConfig(env, ['--vault-transit-mount', 'kek', '--vault-transit-key-prefix', 'codec.']);
    expect(flags.keySource).toMatchObject({ kind: 'vault-transit', mount: 'kek', keyPrefix: 'codec.' });
    expect(loadConfig(env, ['--vault-transit-key-prefix=']).keySource).toMatchObject({ keyPrefix: '' });
  });

  it('logs in with AppRole from VAULT_ROLE_ID and VAULT_SECRET_ID, needing no VAULT_TOKEN (and ignoring one)', () => {
    const env = { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_AUTH_METHOD: 'approle', VAULT_ROLE_ID: 'role-1' };
    expect(loadConfig({ ...env, VAULT_SECRET_ID: 'secret-1', VAULT_TOKEN: 'unused' }, []).keySource).toMatchObject({
      kind: 'vault-kv',
      auth: { method: 'approle', roleId: { value: 'role-1' }, secretId: { value: 'secret-1' } },
    });
    // Roles created with bind_secret_id=false log in with the role id alone.
    expect(loadConfig(env, []).keySource).toMatchObject({ auth: { method: 'approle', roleId: { value: 'role-1' } } });
    expect(loadConfig(env, []).keySource).not.toHaveProperty('auth.secretId');
  });

  it('reads AppRole credentials from files, on the auth mount given', () => {
    const config = loadConfig({ VAULT_ADDR: 'http://127.0.0.1:8200' }, [
      '--key-source',
      'vault-transit',
      '--vault-auth',
      'approle',
      '--vault-auth-mount',
      'approle-codec',
      '--vault-role-id-file',
      '/run/secrets/role-id',
      '--vault-secret-id-file',
      '/run/secrets/secret-id',
    ]);
    expect(config.keySource).toMatchObject({
      kind: 'vault-transit',
      auth: {
        method: 'approle',
        mount: 'approle-codec',
        roleId: { file: '/run/secrets/role-id' },
        secretId: { file: '/run/secrets/secret-id' },
      },
    });
    const fromEnv = loadConfig(
      {
        VAULT_ADDR: 'http://v:8200',
        VAULT_AUTH_METHOD: 'approle',
        VAULT_ROLE_ID_FILE: '/r',
        VAULT_SECRET_ID_FILE: '/s',
      },
      [],
    );
    expect(fromEnv.keySource).toMatchObject({ auth: { roleId: { file: '/r' }, secretId: { file: '/s' } } });
  });

  it("logs in with Kubernetes, reading the pod's service-account token unless told otherwise", () => {
    const vault = { VAULT_ADDR: 'http://127.0.0.1:8200' };
    expect(loadConfig(vault, ['--vault-auth', 'kubernetes', '--vault-k8s-role', 'codec']).keySource).toMatchObject({
      auth: { method: 'kubernetes', role: 'codec', jwt: { file: KUBERNETES_SERVICE_ACCOUNT_TOKEN } },
    });
    const custom = loadConfig({ ...vault, VAULT_AUTH_METHOD: 'kubernetes', VAULT_K8S_ROLE: 'r' }, [
      '--vault-k8s-jwt-file',
      '/var/run/token',
      '--vault-auth-mount',
      'k8s-east',
    ]);
    expect(custom.keySource).toMatchObject({
      auth: { method: 'kubernetes', role: 'r', jwt: { file: '/var/run/token' }, mount: 'k8s-east' },
    });
  });

  it('parses the key cache durations, keeping the library defaults for those not given', () => {
    expect(loadConfig({}, []).keyCache).toEqual({});
    const env = { CODEC_KEY_CACHE_TTL: '30s', CODEC_KEY_MAX_AGE: '10m', CODEC_KEY_STALE_IF_ERROR: '1h' };
    expect(loadConfig(env, []).keyCache).toEqual({
      latestTtlMs: 30_000,
      versionMaxAgeMs: 600_000,
      staleIfErrorMs: 3_600_000,
    });
    const flags = loadConfig(env, ['--key-cache-ttl', '2m', '--key-max-age=1h', '--key-stale-if-error', '0']);
    expect(flags.keyCache).toEqual({ latestTtlMs: 120_000, versionMaxAgeMs: 3_600_000, staleIfErrorMs: 0 });
  });

  it('never takes the AppRole secret id as a flag (other users see flags in ps)', () => {
    expect(problem({}, ['--vault-secret-id', 's'])).toContain("Unknown option '--vault-secret-id'");
    expect(usage()).toContain('[VAULT_SECRET_ID]');
    expect(usage()).not.toContain('--vault-secret-id <');
  });

  it('describes each Vault key source by address, path and auth method, without secrets', async () => {
    const transit = loadConfig(
      { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_ROLE_ID: 'role-1', VAULT_SECRET_ID: 's3' },
      ['--key-source', 'vault-transit', '--vault-auth', 'approle'],
    );
    const kv = loadConfig({ VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 'hvs.secret' }, []);
    const sources = [openKeySource(transit.keySource), openKeySource(kv.keySource)];
    expect(sources.map((source) => source.describe())).toEqual([
      'vault-transit http://127.0.0.1:8200/v1/transit/keys/temporal-codec-<namespace> (auth approle)',
      'vault-kv http://127.0.0.1:8200/v1/secret/data/temporal-codec/<namespace> (auth token)',
    ]);
    await Promise.all(sources.map((source) => source.close()));
  });

  it('parses sizes, lists and booleans', () => {
    const config = loadConfig({ CODEC_CORS_CREDENTIALS: 'true' }, [
      '--body-limit',
      '512kb',
      '--namespaces',
      ' default , orders ',
      '--cors-origins',
      'https://UI.example.com/,http://localhost:8233',
      '--jwt-audience',
      'a,b',
      '--auth',
      'jwt',
      '--jwks-url',
      'https://issuer.example.com/jwks',
    ]);
    expect(config.limits.bodyBytes).toBe(512 * 1024);
    expect(config.namespaces.allowed).toEqual(['default', 'orders']);
    expect(config.cors).toMatchObject({
      origins: ['https://ui.example.com', 'http://localhost:8233'],
      credentials: true,
    });
    expect(config.auth).toEqual({
      mode: 'jwt',
      jwksUrl: 'https://issuer.example.com/jwks',
      audience: ['a', 'b'],
      permissionsClaim: 'permissions',
    });
  });

  it.each([
    [{}, ['--auth', 'jwt'], '--auth jwt needs --jwks-url or --jwt-secret'],
    [{}, ['--auth', 'static'], '--auth static needs --auth-tokens-file'],
    [{}, ['--auth', 'oauth'], 'must be none, static or jwt'],
    [{}, ['--jwks-url', 'https://x.example/jwks'], 'add --auth jwt'],
    [{}, ['--auth-tokens-file', 't.json'], 'add --auth static'],
    [{}, ['--auth', 'jwt', '--jwt-secret', 'short'], 'at least 32 characters'],
    [{}, ['--cors-origins', '*', '--cors-credentials'], '* cannot be combined with --cors-credentials'],
    [{}, ['--cors-origins', 'http://localhost:8233/ui'], 'is not an origin'],
    [{}, ['--tls-cert', 'cert.pem'], 'https needs both --tls-cert and --tls-key'],
    [{ PORT: 'eighty' }, [], '--port (PORT): must be a whole number'],
    [{}, ['--port', '70000'], 'must be at most 65535'],
    [{}, ['--body-limit', 'lots'], 'must be a size such as 512kb or 4mb'],
    [{}, ['--max-payloads', '0'], 'must be at least 1'],
    [{}, ['--key-source', 'transit'], 'must be local, vault-kv or vault-transit'],
    [
      { VAULT_TOKEN: 'x' },
      ['--key-source', 'vault-transit'],
      '--vault-addr (VAULT_ADDR): is required for the vault-transit',
    ],
    [{ VAULT_ADDR: 'http://v:8200' }, ['--key-source', 'vault-transit'], 'VAULT_TOKEN: is required to log in'],
    [{ VAULT_ADDR: 'http://v:8200' }, ['--vault-auth', 'ldap'], 'must be token, approle or kubernetes'],
    [
      { VAULT_ADDR: 'http://v:8200' },
      ['--vault-auth', 'approle'],
      '--vault-role-id (VAULT_ROLE_ID): is required for --vault-auth approle; set VAULT_ROLE_ID or --vault-role-id-file',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_ROLE_ID: 'r' },
      ['--vault-auth', 'approle', '--vault-role-id-file', '/r'],
      '--vault-role-id-file (VAULT_ROLE_ID_FILE): cannot be combined with --vault-role-id (VAULT_ROLE_ID); pick one',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_ROLE_ID: 'r', VAULT_SECRET_ID: 's' },
      ['--vault-auth', 'approle', '--vault-secret-id-file', '/s'],
      'cannot be combined with VAULT_SECRET_ID',
    ],
    [
      { VAULT_ADDR: 'http://v:8200' },
      ['--vault-auth', 'kubernetes'],
      '--vault-k8s-role (VAULT_K8S_ROLE): is required for --vault-auth kubernetes',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't', VAULT_ROLE_ID: 'r' },
      [],
      'VAULT_ROLE_ID): is only used with --vault-auth approle (the method is token); add --vault-auth approle',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' },
      ['--vault-auth-mount', 'approle2'],
      'is only used with --vault-auth approle or kubernetes',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_ROLE_ID: 'r' },
      ['--vault-auth', 'approle', '--vault-k8s-role', 'k'],
      'add --vault-auth kubernetes',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_K8S_ROLE: 'k', VAULT_SECRET_ID: 's' },
      ['--vault-auth', 'kubernetes'],
      'VAULT_SECRET_ID: is only used with --vault-auth approle',
    ],
    [{}, ['--vault-auth', 'approle'], '--vault-auth (VAULT_AUTH_METHOD): is only used with a Vault key source'],
    [{}, ['--vault-transit-mount', 't'], 'set --vault-addr (VAULT_ADDR), and --key-source vault-transit'],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' },
      ['--vault-transit-key-prefix', 'p-'],
      'is only used with --key-source vault-transit (the key source is vault-kv)',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' },
      ['--key-source', 'vault-transit', '--vault-key-prefix', 'p/'],
      '--vault-key-prefix (VAULT_KEY_PREFIX): is only used with --key-source vault-kv',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' },
      ['--key-source', 'vault-transit', '--vault-transit-mount', 'a b'],
      'must be a mount path such as transit',
    ],
    [
      { VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 't' },
      ['--key-source', 'vault-transit', '--vault-transit-key-prefix', 'codec/'],
      'may hold only letters, digits and _ - . @',
    ],
    [
      {},
      ['--key-cache-ttl', 'soon'],
      '--key-cache-ttl (CODEC_KEY_CACHE_TTL): must be a duration such as 30s, 5m or 1h',
    ],
    [{ CODEC_KEY_MAX_AGE: '0' }, [], '--key-max-age (CODEC_KEY_MAX_AGE): must be a duration'],
    [{}, ['--key-stale-if-error', '5 minutes'], 'or 0 to turn it off'],
    [{}, ['--namespaces', 'a/b'], 'is not a valid namespace name'],
    [{}, ['--vault-addr', 'ftp://vault'], 'must be an http(s) URL'],
    [{}, ['--log-level', 'loud'], 'must be one of'],
    [{}, ['--cors-credentials', 'yes-please'], 'Unexpected argument'],
    [{}, ['--no-such-flag'], '--help'],
  ])('rejects %j %j, saying %j', (env, argv, message) => {
    expect(problem(env, argv)).toContain(message);
  });

  it('lists every problem at once', () => {
    const message = problem({}, ['--port', 'x', '--auth', 'jwt']);
    expect(message).toContain('--port');
    expect(message).toContain('--auth jwt needs');
  });

  it('--help is reported, and usage lists every flag', () => {
    expect(loadConfig({}, ['--help']).help).toBe(true);
    expect(usage()).toContain('--cors-credentials');
    expect(usage()).toContain('VAULT_TOKEN');
  });
});
