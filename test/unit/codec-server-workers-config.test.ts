import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CodecError, ERROR_CODES } from '../../codec/index.js';
import { loadConfig } from '../../codec-server/index.js';

const vault = { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_TOKEN: 'root-token-for-tests' };

describe('--workers', () => {
  it('defaults to one process', () => {
    expect(loadConfig({}, []).workers).toBe(1);
  });

  it('takes a number or auto (one per CPU) with a Vault key source', () => {
    expect(loadConfig(vault, ['--workers', '3']).workers).toBe(3);
    expect(loadConfig({ ...vault, CODEC_WORKERS: 'auto' }, []).workers).toBe(availableParallelism());
  });

  it.each([['0'], ['-1'], ['two'], ['100']])('refuses %s', (value) => {
    expect(() => loadConfig(vault, ['--workers', value])).toThrow(CodecError);
  });

  it('refuses several processes on the local keyring file (they would race creating keys)', () => {
    let error: unknown;
    try {
      loadConfig({}, ['--workers', '2']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe(ERROR_CODES.invalidConfig);
    expect((error as CodecError).message).toContain('--workers');
  });
});
