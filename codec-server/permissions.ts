/**
 * Permissions in the Temporal server's own claim convention (its default JWT claim mapper): entries
 * `"<namespace>:<role>"` with roles `read`, `write`, `worker` and `admin`. The system scope (`temporal-system`, also
 * written `system`) and `*` grant the role on every namespace. Unknown roles and malformed entries are ignored, as
 * Temporal ignores them, so a token minted for the Temporal server works here unchanged.
 */

/** Roles, weakest first. */
export const ROLES = ['read', 'write', 'worker', 'admin'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** The two codec operations. */
export type CodecAction = 'encode' | 'decode';

/** A role on one namespace, or on all of them. */
export interface Grant {
  /** A namespace name, or `*` for every namespace. */
  readonly namespace: string;
  readonly role: Role;
}

const ALL_NAMESPACES = new Set(['*', 'system', 'temporal-system']);
const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
/** Decoding reveals data, so any role allows it; encoding writes data, so `read` is the decode-only role. */
const ALLOWED: Readonly<Record<CodecAction, ReadonlySet<Role>>> = {
  decode: new Set(ROLES),
  encode: new Set<Role>(['write', 'worker', 'admin']),
};

/**
 * Reads permission entries from a claim value: an array of strings, or one space-separated string (the shape OAuth
 * `scope` claims take). Anything else yields no grants.
 */
export function parsePermissions(claim: unknown): Grant[] {
  const entries = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [];
  const grants: Grant[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') continue;
    const separator = entry.lastIndexOf(':');
    if (separator <= 0) continue;
    const scope = entry.slice(0, separator);
    const role = entry.slice(separator + 1).toLowerCase();
    if (!ROLE_SET.has(role)) continue;
    grants.push({ namespace: ALL_NAMESPACES.has(scope) ? '*' : scope, role: role as Role });
  }
  return grants;
}

/** True when `grants` allow `action` on `namespace`. */
export function isAllowed(grants: readonly Grant[], namespace: string, action: CodecAction): boolean {
  return grants.some(
    (grant) => (grant.namespace === '*' || grant.namespace === namespace) && ALLOWED[action].has(grant.role),
  );
}
