import type { Payload } from '@temporalio/common';
import { CodecError, isEncrypted, readEncryptedHeader, wrappedKeyVersion } from '../../codec/index.js';
import type { PayloadPlace } from './payload-walk.js';

/** Where a reference was found: an open workflow run, a schedule, a closed run still within retention. */
export type UsageCategory = 'open' | 'schedules' | 'closed';

/** The usage categories, in report order. */
export const USAGE_CATEGORIES: readonly UsageCategory[] = ['open', 'schedules', 'closed'];

/** How many subjects (runs or schedules) of one category reference a key version, and with how many payloads. */
export interface CategoryUsage {
  readonly subjects: number;
  readonly payloads: number;
  /** A few subject names (workflow ids, schedule ids), for messages. */
  readonly examples: readonly string[];
}

/** Everything known about one key version's use. */
export interface VersionUsage {
  readonly keyId: string;
  readonly version: number;
  readonly open: CategoryUsage;
  readonly schedules: CategoryUsage;
  /** `null` when closed workflows were not scanned. */
  readonly closed: CategoryUsage | null;
  /** ISO time of the earliest / latest event or schedule update holding such a payload. */
  readonly oldestUse: string | null;
  readonly newestUse: string | null;
}

/** Per category: subjects scanned, and payloads that name no key at all or name one unreadably. */
export interface CategoryTotals {
  readonly subjects: number;
  /** Payloads without `encoding: binary/encrypted` (search attributes excluded: SDKs never encode them). */
  readonly unencryptedPayloads: number;
  /** Encrypted payloads whose key metadata does not parse (the codec would refuse them too). */
  readonly malformedPayloads: number;
}

interface RefCount {
  readonly keyId: string;
  readonly version: number;
  payloads: number;
  oldestMs: number | undefined;
  newestMs: number | undefined;
}

/**
 * The key references of one subject (a workflow run's history, a schedule), read from payload metadata alone: no
 * key, no decryption. A Transit payload whose wrapped key names another version than its metadata is malformed,
 * exactly as the codec would judge it.
 */
export class SubjectPayloads {
  readonly refs = new Map<string, RefCount>();
  unencrypted = 0;
  malformed = 0;

  /** Records one payload found at `timeMs` (the event's or the schedule's time). */
  add(payload: Payload, place: PayloadPlace, timeMs: number | undefined): void {
    if (!isEncrypted(payload)) {
      if (!place.searchAttribute) this.unencrypted++;
      return;
    }
    let keyId: string;
    let version: number;
    try {
      const header = readEncryptedHeader(payload);
      if (header.wrappedKey !== undefined && wrappedKeyVersion(header.wrappedKey) !== header.version) {
        this.malformed++;
        return;
      }
      ({ keyId, version } = header);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.malformed++;
      return;
    }
    const id = `${keyId}\u0000${version}`;
    let ref = this.refs.get(id);
    if (ref === undefined) {
      ref = { keyId, version, payloads: 0, oldestMs: undefined, newestMs: undefined };
      this.refs.set(id, ref);
    }
    ref.payloads++;
    if (timeMs !== undefined) {
      if (ref.oldestMs === undefined || timeMs < ref.oldestMs) ref.oldestMs = timeMs;
      if (ref.newestMs === undefined || timeMs > ref.newestMs) ref.newestMs = timeMs;
    }
  }
}

interface MutableCategory {
  subjects: number;
  payloads: number;
  examples: string[];
}

interface MutableVersion {
  readonly keyId: string;
  readonly version: number;
  readonly categories: Record<UsageCategory, MutableCategory>;
  oldestMs: number | undefined;
  newestMs: number | undefined;
}

const emptyCategory = (): MutableCategory => ({ subjects: 0, payloads: 0, examples: [] });

/** Sums subjects into per-version usage. Not thread-safe, and needs not be: JavaScript runs one callback at a time. */
export class UsageTally {
  readonly #versions = new Map<string, MutableVersion>();
  readonly #totals: Record<
    UsageCategory,
    { subjects: number; unencryptedPayloads: number; malformedPayloads: number }
  > = {
    open: { subjects: 0, unencryptedPayloads: 0, malformedPayloads: 0 },
    schedules: { subjects: 0, unencryptedPayloads: 0, malformedPayloads: 0 },
    closed: { subjects: 0, unencryptedPayloads: 0, malformedPayloads: 0 },
  };
  readonly #includeClosed: boolean;
  readonly #maxExamples: number;

  constructor(options: { includeClosed: boolean; maxExamples?: number }) {
    this.#includeClosed = options.includeClosed;
    this.#maxExamples = options.maxExamples ?? 5;
  }

  /** Adds one scanned subject named `name` (a workflow id, a schedule id). */
  record(category: UsageCategory, name: string, subject: SubjectPayloads): void {
    const totals = this.#totals[category];
    totals.subjects++;
    totals.unencryptedPayloads += subject.unencrypted;
    totals.malformedPayloads += subject.malformed;
    for (const [id, ref] of subject.refs) {
      let entry = this.#versions.get(id);
      if (entry === undefined) {
        const categories = { open: emptyCategory(), schedules: emptyCategory(), closed: emptyCategory() };
        entry = { keyId: ref.keyId, version: ref.version, categories, oldestMs: undefined, newestMs: undefined };
        this.#versions.set(id, entry);
      }
      const usage = entry.categories[category];
      usage.subjects++;
      usage.payloads += ref.payloads;
      if (usage.examples.length < this.#maxExamples) usage.examples.push(name);
      if (ref.oldestMs !== undefined && (entry.oldestMs === undefined || ref.oldestMs < entry.oldestMs))
        entry.oldestMs = ref.oldestMs;
      if (ref.newestMs !== undefined && (entry.newestMs === undefined || ref.newestMs > entry.newestMs))
        entry.newestMs = ref.newestMs;
    }
  }

  /** Per-category totals, `closed` `null` when closed workflows were not scanned. */
  totals(): Record<UsageCategory, CategoryTotals | null> {
    return {
      open: { ...this.#totals.open },
      schedules: { ...this.#totals.schedules },
      closed: this.#includeClosed ? { ...this.#totals.closed } : null,
    };
  }

  /** Every referenced key version, ordered by key id and version. */
  versions(): VersionUsage[] {
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    return [...this.#versions.values()]
      .sort((a, b) => (a.keyId === b.keyId ? a.version - b.version : a.keyId < b.keyId ? -1 : 1))
      .map((v) => ({
        keyId: v.keyId,
        version: v.version,
        open: v.categories.open,
        schedules: v.categories.schedules,
        closed: this.#includeClosed ? v.categories.closed : null,
        oldestUse: iso(v.oldestMs),
        newestUse: iso(v.newestMs),
      }));
  }
}
