import { postLogin } from './login-request.js';
import { readSecret, type ReadTextFile, type SecretSource } from './secret-source.js';
import { TokenSession } from './token-session.js';
import type { VaultAuth, VaultAuthObserver, VaultAuthTransport } from './vault-auth.js';

/** Where Kubernetes mounts a pod's service-account token. */
export const KUBERNETES_SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Options of {@link kubernetesAuth}. */
export interface KubernetesAuthOptions {
  readonly transport: VaultAuthTransport;
  /** The Vault role bound to the pod's service account. */
  readonly role: string;
  /** The service-account JWT. Default: the file {@link KUBERNETES_SERVICE_ACCOUNT_TOKEN}. */
  readonly jwt?: SecretSource;
  /** The Kubernetes auth mount. Default `kubernetes`. */
  readonly mount?: string;
  readonly renewAtFraction?: number;
  readonly observer?: VaultAuthObserver;
  readonly readFile?: ReadTextFile;
}

/**
 * Kubernetes login (`POST auth/<mount>/login` with `role` and the service-account `jwt`), renewed in the background
 * and repeated when needed. The JWT file is read at each login because projected service-account tokens are
 * rotated by the kubelet.
 */
export function kubernetesAuth(options: KubernetesAuthOptions): VaultAuth {
  const mount = options.mount ?? 'kubernetes';
  const jwt = options.jwt ?? { file: KUBERNETES_SERVICE_ACCOUNT_TOKEN };
  return new TokenSession({
    method: 'kubernetes',
    transport: options.transport,
    login: async () => {
      const body = {
        role: options.role,
        jwt: await readSecret(jwt, 'Kubernetes service-account token', options.readFile),
      };
      return postLogin(options.transport, mount, body, 'kubernetes');
    },
    ...(options.renewAtFraction === undefined ? {} : { renewAtFraction: options.renewAtFraction }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
}
