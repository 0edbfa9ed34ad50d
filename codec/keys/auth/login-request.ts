import { CodecError, ERROR_CODES } from '../../errors.js';
import { seconds } from './token-session.js';
import type { VaultAuthMethod, VaultAuthResponse, VaultAuthTransport, VaultLogin } from './vault-auth.js';

/**
 * Posts a login to `auth/<mount>/login` and reads the token from the answer. Vault refuses bad credentials with 400
 * (AppRole) or 403 (Kubernetes); both become ERR_KEY_SOURCE_DENIED, since retrying cannot help. Outages stay
 * ERR_KEY_SOURCE_UNAVAILABLE (retryable). Credentials never appear in errors.
 */
export async function postLogin(
  transport: VaultAuthTransport,
  mount: string,
  body: object,
  method: VaultAuthMethod,
): Promise<VaultLogin> {
  const path = `/auth/${mount.replace(/^\/+|\/+$/g, '')}/login`;
  let response: VaultAuthResponse | undefined;
  try {
    // Logins carry no token: an old, expired one must not be sent along.
    response = await transport.request<VaultAuthResponse>('POST', path, body, { token: '' });
  } catch (err) {
    if (
      err instanceof CodecError &&
      (err.code === ERROR_CODES.invalidConfig || err.code === ERROR_CODES.keySourceDenied)
    ) {
      throw new CodecError(ERROR_CODES.keySourceDenied, `Vault ${method} login refused: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const token = response?.auth?.client_token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new CodecError(ERROR_CODES.keySourceDenied, `Vault ${method} login at ${path} returned no token`);
  }
  return { token, ttlSeconds: seconds(response?.auth?.lease_duration), renewable: response?.auth?.renewable === true };
}
