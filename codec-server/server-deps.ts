import { readFile as fsReadFile } from 'node:fs/promises';
import type { DestinationStream } from 'pino';
import {
  CodecError,
  ERROR_CODES,
  isCodecError,
  loadAeadEngine,
  openKeySource,
  type AeadEngine,
  type MultiNamespaceCodec,
  type VaultAuthObserver,
} from '../codec/index.js';
import type { AppDeps } from './app.js';
import { createCodecs } from './codecs.js';
import { createNoAuthenticator, type Authenticator } from './auth.js';
import type { AuthConfig, ServerConfig } from './config-types.js';
import { createJwtAuthenticator } from './jwt-auth.js';
import { createLogger, type ServerLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createSamplesProfile } from './samples-profile.js';
import { createStaticAuthenticator, parseStaticTokens } from './static-tokens.js';
import { createStorageRegistry } from './storage/create-storage-registry.js';
import type { StorageRegistry } from './storage/storage-registry.js';

/** Replaceable inputs of {@link createServerDeps}. */
export interface ServerDepsOptions {
  /** Where log lines go. Default stdout. */
  readonly logDestination?: DestinationStream;
  /** Reads the static tokens file and the storage configuration file. Default `fs.readFile` as UTF-8. */
  readonly readFile?: (path: string) => Promise<string>;
  /** `fetch` for the JWKS. Default the global one. */
  readonly fetch?: typeof fetch;
  /** The AES-GCM engine of the codecs, when the caller loaded it already. Default: `config.nativeAead`'s. */
  readonly aead?: AeadEngine;
}

/** The app's dependencies as `main.ts` builds them, plus what it needs to describe and release them. */
export interface ServerDeps extends AppDeps {
  readonly codecs: MultiNamespaceCodec;
  readonly storage: StorageRegistry;
  /** Where keys come from, for the startup line (no secrets). */
  readonly keySourceDescription: string;
  /** Zeroes cached keys and stops timers (the key cache's and the Vault auth's). */
  close(): Promise<void>;
}

/**
 * Builds every dependency of the app from the configuration: logger, metrics (with process metrics), the shared key
 * provider wired to the metrics, one multi-namespace codec, and the authenticator (reading the static tokens file now, so
 * a bad file stops the server at boot rather than at the first request).
 */
export async function createServerDeps(config: ServerConfig, options: ServerDepsOptions = {}): Promise<ServerDeps> {
  const aead = options.aead ?? loadAeadEngine(config.nativeAead);
  const logger = createLogger({
    level: config.logLevel,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  const metrics = createMetrics({ processMetrics: true, clusterWide: true });
  const keySource = openKeySource(config.keySource, {
    observer: metrics.keyProviderObserver,
    authObserver: vaultAuthLog(logger),
    warn: (message) => logger.warn(message),
    cache: config.keyCache,
  });
  const provider = keySource.provider;
  let samples;
  try {
    samples = createSamplesProfile(config.samples, keySource.vaultClient, options.readFile);
  } catch (err) {
    await keySource.close();
    throw err;
  }
  const codecs = createCodecs(config, provider, metrics, aead, samples);
  let authenticator: Authenticator;
  let storage: StorageRegistry;
  try {
    authenticator = await createAuthenticator(config.auth, options);
    if (config.auth.mode === 'jwt' && config.auth.audience === undefined) {
      // Without an audience check, a token the issuer minted for any other service is accepted here too.
      logger.warn('jwt auth without --jwt-audience: tokens the issuer minted for any service are accepted');
    }
    storage = await createStorageRegistry(config.storage, options.readFile ?? ((path) => fsReadFile(path, 'utf8')));
  } catch (err) {
    samples?.keys.close();
    await keySource.close();
    throw err;
  }
  return {
    config,
    provider,
    codecs,
    authenticator,
    storage,
    logger,
    metrics,
    keySourceDescription: describeKeys(keySource.describe(), config),
    async close() {
      codecs.close();
      samples?.keys.close();
      storage.close();
      await keySource.close();
    },
  };
}

async function createAuthenticator(auth: AuthConfig, options: ServerDepsOptions): Promise<Authenticator> {
  if (auth.mode === 'none') return createNoAuthenticator();
  if (auth.mode === 'jwt')
    return createJwtAuthenticator(auth, options.fetch === undefined ? {} : { fetch: options.fetch });
  const read = options.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  let text: string;
  try {
    text = await read(auth.tokensFile);
  } catch (cause) {
    throw new CodecError(ERROR_CODES.invalidConfig, `cannot read --auth-tokens-file ${auth.tokensFile}`, { cause });
  }
  return createStaticAuthenticator(parseStaticTokens(text, `--auth-tokens-file ${auth.tokensFile}`), {
    wildcardScopes: auth.wildcardScopes ?? [],
  });
}

/** Logs Vault token events. Errors are logged by code and message: neither ever holds a token or secret id. */
function vaultAuthLog(logger: ServerLogger): VaultAuthObserver {
  return {
    loggedIn: (method, ttlSeconds) => logger.info({ method, ttlSeconds }, 'vault login'),
    renewed: (ttlSeconds) => logger.debug({ ttlSeconds }, 'vault token renewed'),
    // A static token past its max TTL cannot be replaced: the operator has to act before it lapses.
    expiring: (expiresAt) =>
      logger.warn(
        { expiresAt: expiresAt.toISOString() },
        'vault token cannot be renewed further; give a new VAULT_TOKEN and restart, or use --vault-auth approle',
      ),
    failed: (operation, error) =>
      logger.warn(
        {
          operation,
          code: isCodecError(error) ? error.code : undefined,
          err: error instanceof Error ? error.message : String(error),
        },
        'vault auth failed; retrying while the token is valid',
      ),
  };
}

/** The startup line's key sources: the namespaces' one, and the samples keys when the samples profile is on. */
function describeKeys(keySource: string, config: ServerConfig): string {
  const samples = config.samples?.keys;
  if (samples === undefined) return keySource;
  const where = 'file' in samples ? `file ${samples.file}` : `vault-kv ${samples.vaultPath}/<key id>`;
  return `${keySource}; samples profile (decode only): keys from ${where}`;
}
