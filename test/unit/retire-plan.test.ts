import { describe, expect, it } from 'vitest';
import { ADMIN_ERROR_CODES } from '../../admin/admin-error.js';
import type { KeyDescription } from '../../admin/key-admin.js';
import { planRetirement, type RetireInput } from '../../admin/retire/retire-plan.js';
import type { KeyUsageReport } from '../../admin/usage/key-usage.js';
import type { CategoryUsage, VersionUsage } from '../../admin/usage/usage-tally.js';
import { ERROR_CODES, type KeyVersionState } from '../../codec/index.js';

const { keyVersionEncrypting: ENCRYPTING, keyVersionInUse: IN_USE } = ADMIN_ERROR_CODES;

function key(source: KeyDescription['source'], states: KeyVersionState[]): KeyDescription {
  const versions = states.map((state, i) => ({ version: i + 1, createdAt: '', state }));
  const encrypting =
    source === 'vault-transit' ? versions.length : [...versions].reverse().find((v) => v.state === 'active')?.version;
  return { keyId: 'orders', source, location: '-', versions, encryptingVersion: encrypting, warnings: [] };
}

const used = (subjects: number, names = Array.from({ length: Math.min(subjects, 5) }, (_, i) => `wf-${i}`)) =>
  ({ subjects, payloads: subjects * 2, examples: names }) as CategoryUsage;
const none = used(0, []);

function report(versions: Array<Partial<VersionUsage> & { version: number }>, includeClosed = false): KeyUsageReport {
  return {
    namespace: 'orders',
    scannedAt: '',
    retentionMs: 3 * 86_400_000,
    includeClosed,
    totals: { open: null, schedules: null, closed: null },
    versions: versions.map((v) => ({
      keyId: 'orders',
      open: none,
      schedules: none,
      closed: includeClosed ? none : null,
      oldestUse: null,
      newestUse: null,
      ...v,
    })),
    vanished: 0,
    apiCalls: {},
    apiCallsTotal: 0,
    maxHistoryPagesPerRun: 1,
  };
}

const plan = (input: Partial<RetireInput> & Pick<RetireInput, 'action' | 'description' | 'version'>) =>
  planRetirement({ usage: { skipped: 'no address' }, force: false, ...input });

describe('retiring a key version: what the encrypting version forbids', () => {
  it('refuses to destroy the version that encrypts, which would silently move encryption to an older version', () => {
    const p = plan({ action: 'destroy', description: key('vault-kv', ['active', 'active']), version: 2 });
    expect(p.refusals.map((r) => r.code)).toEqual([ENCRYPTING]);
    expect(p.changes).toEqual(['version 2: active -> destroyed', 'encryption: version 2 -> version 1']);
    expect(p.proceeds).toBe(false);
  });

  it('refuses to deactivate the last active version, which would make every encode fail', () => {
    const p = plan({ action: 'deactivate', description: key('local', ['inactive', 'active']), version: 2 });
    expect(p.refusals.map((r) => r.code)).toEqual([ENCRYPTING]);
    expect(p.changes).toContain('encryption: version 2 -> none');
  });

  it('lets --force through, saying so in the warnings', () => {
    const p = plan({ action: 'destroy', description: key('local', ['active']), version: 1, force: true });
    expect(p.proceeds).toBe(true);
    expect(p.warnings.some((w) => w.startsWith('--force: going ahead although version 1'))).toBe(true);
  });

  it('allows deactivating an older version, and a newer one while an older one stays active', () => {
    expect(
      plan({ action: 'deactivate', description: key('vault-kv', ['active', 'active']), version: 1 }).proceeds,
    ).toBe(true);
    const newest = plan({ action: 'deactivate', description: key('vault-kv', ['active', 'active']), version: 2 });
    expect(newest.proceeds).toBe(true);
    expect(newest.changes).toContain('encryption: version 2 -> version 1');
  });

  it('says that Temporal was not checked when no address is configured', () => {
    const p = plan({ action: 'destroy', description: key('vault-kv', ['active', 'active']), version: 1 });
    expect(p.usage).toEqual({ checked: false, reason: 'no address' });
    expect(p.warnings).toEqual([
      'Temporal not checked (no address): open workflows or schedules may still need version 1',
    ]);
  });

  it('throws ERR_UNKNOWN_KEY_VERSION for a version the key does not have', () => {
    expect(() => plan({ action: 'destroy', description: key('local', ['active']), version: 4 })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.unknownKeyVersion }),
    );
  });
});

describe('retiring a key version: what Temporal still needs', () => {
  it('refuses while open workflows or schedules reference it, naming a few and the counts', () => {
    const usage = report([{ version: 1, open: used(7), schedules: used(1, ['nightly']) }]);
    const p = plan({ action: 'destroy', description: key('vault-kv', ['active', 'active']), version: 1, usage });
    expect(p.refusals.map((r) => r.code)).toEqual([IN_USE]);
    expect(p.refusals[0]!.message).toContain('7 open workflows (wf-0, wf-1, wf-2, wf-3, wf-4, ...) and 1 schedule');
    expect(p.refusals[0]!.message).toContain('(nightly)');
    expect(p.warnings).toEqual([
      "closed workflows within the namespace's retention of 3d were not checked (add --include-closed)",
    ]);
  });

  it('only warns, with the count, about closed workflows within retention', () => {
    const usage = report([{ version: 1, closed: used(3) }], true);
    const p = plan({ action: 'destroy', description: key('vault-kv', ['inactive', 'active']), version: 1, usage });
    expect(p.proceeds).toBe(true);
    expect(p.warnings).toEqual([
      "3 closed workflows (wf-0, wf-1, wf-2) within the namespace's retention of 3d hold 6 payloads under version 1: " +
        'they become unreadable for good',
    ]);
    expect(p.usage).toMatchObject({ checked: true, versions: [{ version: 1, closed: { subjects: 3 } }] });
  });

  it('goes ahead when no open workflow or schedule names the version, whatever other versions do', () => {
    const usage = report([{ version: 2, open: used(5) }]);
    const p = plan({ action: 'deactivate', description: key('vault-kv', ['active', 'active']), version: 1, usage });
    expect(p.refusals).toEqual([]);
    expect(p.usage).toMatchObject({ checked: true, versions: [{ version: 1, open: { subjects: 0 } }] });
  });

  it('Transit: destroy raises min_decryption_version only past versions no longer referenced', () => {
    const usage = report([{ version: 1, open: used(1) }]);
    const description = key('vault-transit', ['active', 'active', 'active']);
    const p = plan({ action: 'destroy', description, version: 2, usage });
    expect(p.affectedVersions).toEqual([1, 2]);
    expect(p.changes).toContain("min_decryption_version -> 3; versions up to 2 trimmed from Vault's storage");
    expect(p.refusals.map((r) => r.code)).toEqual([IN_USE]);
    expect(p.refusals[0]!.message).toContain('version 1 of orders is still needed by 1 open workflow (wf-0)');
  });

  it('Transit: the newest version always encrypts, so destroying it is refused', () => {
    const p = plan({ action: 'destroy', description: key('vault-transit', ['destroyed', 'active']), version: 2 });
    expect(p.refusals.map((r) => r.code)).toEqual([ENCRYPTING]);
    expect(p.affectedVersions).toEqual([2]);
  });
});
