import { describe, expect, it } from 'vitest';
import { CodecError, ERROR_CODES } from '../../codec/index.js';
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
      listen: { host: '127.0.0.1', port: 8081 },
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
    expect(loadConfig(env, []).listen).toEqual({ host: '0.0.0.0', port: 9000 });
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
      token: 'hvs.x',
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
    [{}, ['--key-source', 'transit'], 'must be local or vault-kv'],
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
