/**
 * Permissions read exactly as the Temporal server's default JWT claim mapper reads them
 * (`common/authorization/default_jwt_claim_mapper.go`), so a token minted for the Temporal server means the same here:
 *
 * - each entry `"<namespace>:<role>"` is split on its FIRST `:` (`a:b:read` is role `b:read` on namespace `a`, which
 *   is no role);
 * - only the namespace `temporal-system` (Temporal's system scope) grants the role on every namespace; `system` and
 *   `*` are ordinary namespace names, as in Temporal;
 * - roles are `read`, `write`, `worker` and `admin`, compared case-insensitively; unknown roles and entries without a
 *   `:` grant nothing.
 *
 * The one widening is explicit: an operator may list further scopes that mean "every namespace"
 * (`--auth-wildcard-scopes`). The one extension of shape: a claim that is a single space-separated string (the form
 * OAuth `scope` claims take) is read as its entries; Temporal reads only arrays.
 */

/** Roles, weakest first. */
export const ROLES = ['read', 'write', 'worker', 'admin'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** The two codec operations. */
export type CodecAction = 'encode' | 'decode';

/** Stands for every namespace in a {@link Grant}: a symbol, so that no namespace name (not even `*`) can equal it. */
export const EVERY_NAMESPACE: unique symbol = Symbol('every namespace');

/** A role on one namespace, or on all of them. */
export interface Grant {
  /** A namespace name, or {@link EVERY_NAMESPACE}. */
  readonly namespace: string | typeof EVERY_NAMESPACE;
  readonly role: Role;
}

/** Options of {@link parsePermissions}. */
export interface PermissionOptions {
  /** Scopes that grant their role on every namespace besides `temporal-system`. Default none. */
  readonly wildcardScopes?: readonly string[];
}

/** Temporal's system scope (`primitives.SystemLocalNamespace`): the only all-namespaces scope by default. */
export const SYSTEM_SCOPE = 'temporal-system';
const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
/** Decoding reveals data, so any role allows it; encoding writes data, so `read` is the decode-only role. */
const ALLOWED: Readonly<Record<CodecAction, ReadonlySet<Role>>> = {
  decode: new Set(ROLES),
  encode: new Set<Role>(['write', 'worker', 'admin']),
};

/**
 * Reads permission entries from a claim value: an array of strings, or one space-separated string. Anything else
 * yields no grants.
 */
export function parsePermissions(claim: unknown, options: PermissionOptions = {}): Grant[] {
  const everyNamespace = new Set([SYSTEM_SCOPE, ...(options.wildcardScopes ?? [])]);
  const entries: unknown[] = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [];
  const grants: Grant[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') continue;
    const separator = entry.indexOf(':');
    if (separator <= 0) continue;
    const scope = entry.slice(0, separator);
    const role = entry.slice(separator + 1).toLowerCase();
    if (!ROLE_SET.has(role)) continue;
    grants.push({ namespace: everyNamespace.has(scope) ? EVERY_NAMESPACE : scope, role: role as Role });
  }
  return grants;
}

/** True when `grants` allow `action` on `namespace`. */
export function isAllowed(grants: readonly Grant[], namespace: string, action: CodecAction): boolean {
  return grants.some(
    (grant) =>
      (grant.namespace === EVERY_NAMESPACE || grant.namespace === namespace) && ALLOWED[action].has(grant.role),
  );
}
