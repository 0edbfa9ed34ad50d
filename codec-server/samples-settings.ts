import { z } from 'zod';
import {
  assertNamespace,
  defineSetting as setting,
  SAMPLES_SERIALIZATIONS,
  settingFields,
  type KeySourceKind,
  type SamplesSerialization,
} from '../codec/index.js';
import type { ServerSettingName } from './config-settings.js';

const { list, text } = settingFields;

/** `namespace=keyId` pairs; a namespace named again gets more key ids. */
const namespaceKeyIds = list.pipe(
  z.array(
    z.string().refine((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0 || at === pair.length - 1) return false;
      try {
        assertNamespace(pair.slice(0, at));
        return true;
      } catch {
        return false;
      }
    }, 'write namespace=keyId pairs, comma-separated'),
  ),
);

/**
 * The settings of the decode-only samples profile (payloads of the official samples' encryption codecs), spread into
 * the one settings table (`config-settings.ts`).
 */
export const SAMPLES_SETTINGS = {
  samplesKeysFile: setting({
    flag: 'samples-keys-file',
    env: 'CODEC_SAMPLES_KEYS_FILE',
    schema: text.optional(),
    help: 'Decode payloads of the official samples\' codecs with keys from this JSON file {"<keyId>": "<base64 or hex>"} (default off)',
    docsDefault: 'off',
    docs: "JSON file of samples keys by key id; see [Reading the samples' payloads](#reading-the-samples-payloads)",
  }),
  samplesKeysVaultPath: setting({
    flag: 'samples-keys-vault-path',
    env: 'CODEC_SAMPLES_KEYS_VAULT_PATH',
    schema: text.regex(/^[^/\s]+\/[^\s]*[^/\s]$/, 'write <kv-v2 mount>/<folder>').optional(),
    help: 'Decode payloads of the official samples\' codecs with keys from Vault KV v2 <mount>/<folder>/<keyId>, field "key" (default off)',
    docsDefault: 'off',
    docs: 'KV v2 `<mount>/<folder>`: key id `k` is field `key` of secret `<folder>/k` (Vault key sources only)',
  }),
  samplesSerialization: setting({
    flag: 'samples-serialization',
    env: 'CODEC_SAMPLES_SERIALIZATION',
    schema: z.enum(SAMPLES_SERIALIZATIONS, 'must be plain or length-delimited').default('plain'),
    help: 'plain (Go and Python samples; default) or length-delimited (TypeScript sample)',
    docsDefault: '`plain`',
    docs: '`plain` (Go, Python samples) or `length-delimited` (TypeScript sample)',
  }),
  samplesNamespaceKeyIds: setting({
    flag: 'samples-key-ids',
    env: 'CODEC_SAMPLES_KEY_IDS',
    schema: namespaceKeyIds.optional(),
    help: 'Comma-separated namespace=keyId pairs: each namespace opens only its samples key ids (default: any key id)',
    docsDefault: 'any',
    docs: '`namespace=keyId` pairs limiting which samples key ids each namespace opens',
  }),
};

/** The samples profile of the codec server. */
export interface SamplesSettings {
  readonly keys: { readonly file: string } | { readonly vaultPath: string };
  readonly serialization: SamplesSerialization;
  readonly namespaceKeyIds?: Readonly<Record<string, readonly string[]>>;
}

/** The raw values these rules read. */
export interface SamplesRaw {
  readonly samplesKeysFile?: string | undefined;
  readonly samplesKeysVaultPath?: string | undefined;
  readonly samplesSerialization: SamplesSerialization;
  readonly samplesNamespaceKeyIds?: readonly string[] | undefined;
}

/** The profile's cross-field rules, each naming the fix. */
export function checkSamples(
  raw: SamplesRaw,
  keySource: KeySourceKind | undefined,
  fail: (setting: ServerSettingName, message: string) => void,
): void {
  if (raw.samplesKeysFile !== undefined && raw.samplesKeysVaultPath !== undefined) {
    fail('samplesKeysVaultPath', 'cannot be combined with --samples-keys-file; pick one place for the samples keys');
  }
  if (raw.samplesKeysVaultPath !== undefined && keySource === 'local') {
    fail('samplesKeysVaultPath', 'needs a Vault key source (its login reads the keys); or use --samples-keys-file');
  }
  if (raw.samplesKeysFile === undefined && raw.samplesKeysVaultPath === undefined) {
    if (raw.samplesNamespaceKeyIds !== undefined) {
      fail('samplesNamespaceKeyIds', 'needs --samples-keys-file or --samples-keys-vault-path');
    }
  }
}

/** The samples profile of validated raw input, or undefined when it is off. */
export function toSamplesSettings(raw: SamplesRaw): SamplesSettings | undefined {
  const keys =
    raw.samplesKeysFile !== undefined
      ? { file: raw.samplesKeysFile }
      : raw.samplesKeysVaultPath !== undefined
        ? { vaultPath: raw.samplesKeysVaultPath }
        : undefined;
  if (keys === undefined) return undefined;
  let namespaceKeyIds: Record<string, string[]> | undefined;
  for (const pair of raw.samplesNamespaceKeyIds ?? []) {
    const at = pair.indexOf('=');
    namespaceKeyIds ??= Object.create(null) as Record<string, string[]>;
    (namespaceKeyIds[pair.slice(0, at)] ??= []).push(pair.slice(at + 1));
  }
  return {
    keys,
    serialization: raw.samplesSerialization,
    ...(namespaceKeyIds === undefined ? {} : { namespaceKeyIds }),
  };
}
