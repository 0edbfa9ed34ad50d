import { hash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CodecError, ERROR_CODES } from '../codec/index.js';
import { unauthorized, type Authenticator } from './auth.js';
import type { Identity } from './identity.js';
import { parsePermissions, type PermissionOptions } from './permissions.js';

/** One entry of the static tokens file. */
export interface StaticTokenEntry {
  readonly subject: string;
  /** `"<namespace>:<role>"` entries, as in a Temporal JWT's `permissions` claim. */
  readonly permissions: readonly string[];
}

const fileSchema = z.record(
  z.string().min(16, 'tokens must be at least 16 characters'),
  z.strictObject({ subject: z.string().min(1), permissions: z.array(z.string()) }),
);

/**
 * Parses the static tokens file: a JSON object mapping each token to `{subject, permissions}`. A key written
 * `sha256:<64 hex digits>` is the SHA-256 of the token instead of the token, so the file need not hold secrets.
 *
 * @throws CodecError `ERR_INVALID_CONFIG` naming the first problem (never echoing a token).
 */
export function parseStaticTokens(text: string, source = 'auth tokens file'): Record<string, StaticTokenEntry> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CodecError(ERROR_CODES.invalidConfig, `${source} is not valid JSON`, { cause });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Paths start with the token itself: report the entry's position instead.
    const where = issue?.path.length
      ? `entry #${Object.keys(json as object).indexOf(String(issue.path[0])) + 1}`
      : 'top level';
    throw new CodecError(
      ERROR_CODES.invalidConfig,
      `${source}: ${where}: ${issue?.message ?? 'invalid'}; expected {"<token>": {"subject": "...", "permissions": ["<namespace>:<role>"]}}`,
    );
  }
  return parsed.data;
}

interface Entry {
  readonly digest: Buffer;
  readonly identity: Identity;
}

/**
 * Bearer tokens from a fixed list. The presented token is hashed and compared with every entry's hash using
 * `timingSafeEqual`, always against all entries, so timing reveals neither a token's bytes nor which entry matched.
 */
export function createStaticAuthenticator(
  tokens: Readonly<Record<string, StaticTokenEntry>>,
  options: PermissionOptions = {},
): Authenticator {
  const entries: Entry[] = Object.entries(tokens).map(([token, entry]) => ({
    digest: /^sha256:[0-9a-f]{64}$/i.test(token) ? Buffer.from(token.slice(7), 'hex') : sha256(token),
    identity: Object.freeze({
      subject: entry.subject,
      grants: Object.freeze(parsePermissions(entry.permissions, options)),
    }),
  }));
  return {
    mode: 'static',
    authenticate({ token }) {
      if (token === undefined) return Promise.reject(unauthorized('a bearer token is required', false));
      const digest = sha256(token);
      let found: Identity | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.identity;
      }
      return found === undefined ? Promise.reject(unauthorized('invalid token', true)) : Promise.resolve(found);
    },
  };
}

function sha256(value: string): Buffer {
  // The one-shot form: no Hash object per request.
  return hash('sha256', value, 'buffer');
}
