import type { ColdTransitFigures } from './cold-transit.js';
import type { BenchCase } from './measure.js';
import type { LoadCase } from './server-load.js';
import type { VaultRequestFigures } from './vault-requests.js';
import type { WorkerFigures } from './worker-throughput.js';

/** What `npm run bench -- --json FILE` writes, and `npm run bench:readme -- FILE` reads. */
export interface BenchReport {
  readonly machine: string;
  readonly load: { readonly start: string; readonly end: string };
  /** The AES-GCM engine of the run (`native` or `node-crypto`). */
  readonly aead: string;
  readonly date: string;
  readonly cases: readonly BenchCase[];
  readonly serverLoad: readonly LoadCase[];
  readonly vaultRequests: readonly VaultRequestFigures[];
  readonly coldTransit: ColdTransitFigures;
  readonly workers: readonly WorkerFigures[];
}
