import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  evaluateRotation,
  formatDuration,
  parseDuration,
  type KeyVersionInfo,
} from '../../codec/index.js';

const DAY = 86_400_000;
const now = Date.parse('2026-06-30T00:00:00Z');
const version = (n: number, createdAt: string, state: KeyVersionInfo['state'] = 'active'): KeyVersionInfo => ({
  version: n,
  createdAt,
  state,
});

describe('evaluateRotation', () => {
  it('is due once the newest active version is older than the max age, and says when', () => {
    const versions = [version(1, '2026-01-01T00:00:00Z'), version(2, '2026-06-01T00:00:00Z')];
    expect(evaluateRotation(versions, { maxAgeMs: 30 * DAY }, now)).toEqual({
      due: false,
      reason: 'fresh',
      encryptingVersion: 2,
      ageMs: 29 * DAY,
      dueAt: '2026-07-01T00:00:00.000Z',
    });
    expect(evaluateRotation(versions, { maxAgeMs: 29 * DAY }, now)).toMatchObject({
      due: true,
      reason: 'older-than-max-age',
    });
  });

  it('judges the version that encrypts: a newer inactive version does not make the key fresh', () => {
    const versions = [version(1, '2026-01-01T00:00:00Z'), version(2, '2026-06-29T00:00:00Z', 'inactive')];
    expect(evaluateRotation(versions, { maxAgeMs: 30 * DAY }, now)).toMatchObject({ due: true, encryptingVersion: 1 });
  });

  it('is due when nothing can encrypt, or when the creation time is unknown', () => {
    expect(evaluateRotation([version(1, '2026-06-29T00:00:00Z', 'destroyed')], { maxAgeMs: DAY }, now)).toMatchObject({
      due: true,
      reason: 'no-active-version',
    });
    expect(evaluateRotation([version(1, '')], { maxAgeMs: DAY }, now)).toMatchObject({
      due: true,
      reason: 'unknown-creation-time',
    });
  });

  it('refuses a non-positive max age with ERR_INVALID_ARGUMENT', () => {
    expect(() => evaluateRotation([], { maxAgeMs: 0 }, now)).toThrow(
      expect.objectContaining({ code: ERROR_CODES.invalidArgument }),
    );
  });
});

describe('parseDuration / formatDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 30 * DAY],
    ['2w', 14 * DAY],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(['', '30', '0d', '1.5d', '3mo', '-1d', 'd'])('refuses %j with ERR_INVALID_ARGUMENT', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: ERROR_CODES.invalidArgument }));
  });
});
