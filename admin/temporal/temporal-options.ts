import type { SecretSource } from '../../codec/index.js';

/**
 * How the CLI reaches Temporal, with the `temporal` CLI's flag and environment names so that a shell already set up
 * for `temporal` works unchanged. One difference: the API key is never a flag (other users see flags in `ps`), only
 * `TEMPORAL_API_KEY` or a file.
 */
export interface TemporalOptions {
  /** `host:port` of the frontend. */
  readonly address: string;
  /** `false`: plaintext. TLS is on when asked for, or when an API key or any TLS option is given. */
  readonly tls: TemporalTlsOptions | false;
  readonly apiKey?: SecretSource;
}

/** A PEM given inline (environment) or as a file. */
export type PemSource = { readonly value: string } | { readonly file: string };

/** TLS settings of {@link TemporalOptions}. */
export interface TemporalTlsOptions {
  /** Overrides the name the server certificate is checked against (and SNI). */
  readonly serverName?: string;
  /** CA that signed the server certificate; the system's roots when absent. */
  readonly ca?: PemSource;
  /** Client certificate and key for mutual TLS; both or neither. */
  readonly clientCert?: { readonly cert: PemSource; readonly key: PemSource };
}

/** `util.parseArgs` specs of the Temporal connection flags. */
export const TEMPORAL_FLAGS = {
  'temporal-address': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-cert-path': { type: 'string' },
  'tls-key-path': { type: 'string' },
  'tls-ca-path': { type: 'string' },
  'tls-server-name': { type: 'string' },
  'api-key': { type: 'string' },
  'api-key-file': { type: 'string' },
} as const;

/** The `temporal` CLI's default frontend address. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

type Env = Readonly<Record<string, string | undefined>>;
type FlagValues = Partial<Record<keyof typeof TEMPORAL_FLAGS, string | boolean>>;

/** Thrown for a bad combination; the caller turns it into a usage error. */
export class TemporalOptionsError extends Error {}

function envBoolean(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new TemporalOptionsError(`${name} must be true or false`);
}

/**
 * Reads the Temporal connection from flags and environment (a flag wins). Returns `undefined` when no address is
 * configured and `defaultAddress` is not given (commands for which Temporal is optional). Pure: no I/O.
 *
 * @throws TemporalOptionsError for `--api-key` (use `TEMPORAL_API_KEY` or `--api-key-file`), a certificate without
 *   its key, or TLS options without an address where Temporal is optional.
 */
export function readTemporalOptions(
  values: FlagValues,
  env: Env,
  defaultAddress: string | undefined,
): TemporalOptions | undefined {
  if (values['api-key'] !== undefined) {
    throw new TemporalOptionsError(
      '--api-key is not accepted (other users can read flags with ps): set TEMPORAL_API_KEY or use --api-key-file',
    );
  }
  const pick = (flag: keyof typeof TEMPORAL_FLAGS, variable: string): string | undefined => {
    const flagValue = values[flag];
    if (typeof flagValue === 'string' && flagValue.trim() !== '') return flagValue.trim();
    return env[variable]?.trim() || undefined;
  };
  const pem = (flag: keyof typeof TEMPORAL_FLAGS, pathVariable: string, dataVariable: string) => {
    const file = pick(flag, pathVariable);
    if (file !== undefined) return { file };
    const value = env[dataVariable]?.trim();
    return value ? { value } : undefined;
  };
  const ca = pem('tls-ca-path', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA');
  const cert = pem('tls-cert-path', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA');
  const key = pem('tls-key-path', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA');
  const serverName = pick('tls-server-name', 'TEMPORAL_TLS_SERVER_NAME');
  if ((cert === undefined) !== (key === undefined)) {
    throw new TemporalOptionsError('a TLS client certificate needs its key and a key its certificate');
  }
  const apiKeyFile = pick('api-key-file', 'TEMPORAL_API_KEY_FILE');
  const apiKeyValue = env.TEMPORAL_API_KEY?.trim();
  const apiKey: SecretSource | undefined =
    apiKeyFile !== undefined ? { file: apiKeyFile } : apiKeyValue ? { value: apiKeyValue } : undefined;

  const address = pick('temporal-address', 'TEMPORAL_ADDRESS') ?? defaultAddress;
  const anyTlsOption = ca !== undefined || cert !== undefined || serverName !== undefined;
  if (address === undefined) {
    if (anyTlsOption || apiKeyFile !== undefined || values.tls === true) {
      throw new TemporalOptionsError('Temporal TLS and API key options need --temporal-address or TEMPORAL_ADDRESS');
    }
    return undefined;
  }
  // As the temporal CLI: TLS is implied by an API key or any TLS option, unless TEMPORAL_TLS=false says otherwise.
  const tlsWanted = values.tls === true || (envBoolean(env, 'TEMPORAL_TLS') ?? (anyTlsOption || apiKey !== undefined));
  const tls: TemporalTlsOptions | false = tlsWanted
    ? {
        ...(serverName === undefined ? {} : { serverName }),
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined || key === undefined ? {} : { clientCert: { cert, key } }),
      }
    : false;
  return { address, tls, ...(apiKey === undefined ? {} : { apiKey }) };
}
