import { z } from 'zod';
import { parseDuration } from '../keys/rotation-policy.js';

/**
 * The value types of settings, as zod schemas over the raw strings of flags and environment variables. Shared by
 * the key source settings and the codec server's; each message completes "--flag (VARIABLE): ...".
 */

/** A non-empty, trimmed string. */
export const text = z.string().trim().min(1, 'must not be empty');

/** A comma-separated list; blank items are dropped. */
export const list = text.transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** A whole number within `[min, max]`. */
export const integer = (min: number, max: number) =>
  text
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** A boolean flag, or its environment spelling (`true`/`false`, `1`/`0`, `yes`/`no`). */
export const flag = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'))
    .transform((value) => value === 'true' || value === '1' || value === 'yes'),
]);

/** An `http://` or `https://` URL. */
export const httpUrl = text.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }));

/** A byte size such as `512kb` or `4mb`, in bytes. */
export const size = text
  .toLowerCase()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/, 'must be a size such as 512kb or 4mb')
  .transform((value) => {
    const [, amount = '0', unit = 'b'] = /^([\d.]+)\s*([a-z]*)$/.exec(value) ?? [];
    return Math.floor(Number(amount) * 1024 ** ['b', 'kb', 'mb', 'gb'].indexOf(unit));
  })
  .pipe(z.number().min(1, 'must be at least 1 byte'));

/**
 * A duration in the notation of Vault's TTLs (`30s`, `5m`, `1h`, `7d`), in milliseconds. With `allowZero`, `0` is
 * accepted too, for settings where zero means "off".
 */
export const duration = (allowZero = false) =>
  text.transform((value, ctx) => {
    if (allowZero && /^0[smhdw]?$/.test(value)) return 0;
    try {
      return parseDuration(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as 30s, 5m or 1h${allowZero ? ', or 0 to turn it off' : ''}`,
      });
      return z.NEVER;
    }
  });
