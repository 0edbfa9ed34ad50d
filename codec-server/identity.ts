import type { Grant } from './permissions.js';

/** Who is calling, as far as the server could establish. Never holds the token itself. */
export interface Identity {
  /** `sub` of a JWT, the configured subject of a static token, or `anonymous` when auth is off. */
  readonly subject: string;
  readonly grants: readonly Grant[];
  /** A human name from a verified id token (`Authorization-Extras`), for the audit line only. */
  readonly detail?: string;
}
