import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../codec-server/audit.js';
import { createLogger } from '../../codec-server/logger.js';
import type { RequestContext } from '../../codec-server/request-context.js';

function collectingLogger(level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

const contexts: RequestContext[] = [
  {
    route: 'decode',
    startedAt: 0,
    identity: { subject: 'ops "team" é', grants: [], detail: 'Ada <ada@example.com>' },
    namespace: 'payments',
    payloadCount: 3,
    keyVersions: ['default:1', 'default:2'],
    decodeFailures: Array.from({ length: 120 }, (_, index) => ({ index, code: 'ERR_DECRYPTION_FAILED' })),
    storageObjects: ['bucket/a', 'bucket/b'],
    errorCode: 'ERR_X',
  },
  { route: 'encode', startedAt: 0 },
  { route: 'download', startedAt: 0, storageObjects: [] },
];

describe('audit lines', () => {
  it.each(contexts.map((context) => [context.route, context] as const))(
    'writes for %s the line pino itself would write (same fields, same order)',
    (_route, context) => {
      const direct = collectingLogger();
      createAuditLog(direct.logger)(context, 207, 1.23456, true);
      expect(direct.lines).toHaveLength(1);
      const written = JSON.parse(direct.lines[0]!) as Record<string, unknown>;

      // The same entry through pino's generic path (serializers, redaction, its own stringification).
      const viaPino = collectingLogger();
      const { level, time, msg, ...entry } = written;
      viaPino.logger
        .child({ log: 'audit' })
        .info(
          Object.fromEntries(Object.entries(entry).filter(([key]) => key !== 'service' && key !== 'log')),
          'codec request',
        );
      const expected = JSON.parse(viaPino.lines[0]!) as Record<string, unknown>;
      expect(Object.keys(written)).toEqual(Object.keys(expected));
      expect({ ...written, time: undefined }).toEqual({ ...expected, time: undefined });
      expect(level).toBe(30);
      expect(msg).toBe('codec request');
      expect(Date.parse(String(time))).not.toBeNaN();
      expect(written.decodeErrorCount).toBe(context.decodeFailures?.length ?? 0);
      expect((written.decodeErrors as unknown[]).length).toBeLessThanOrEqual(100);
      expect('storageObjects' in written).toBe((context.storageObjects?.length ?? 0) > 0);
    },
  );

  it('names the caller, namespace, key versions, failures, objects and outcome', () => {
    const { logger, lines } = collectingLogger();
    createAuditLog(logger)(contexts[0]!, 400, 2.0004, false);
    const { time: _time, ...line } = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toEqual({
      level: 30,
      service: 'temporal-codec-server',
      log: 'audit',
      caller: 'ops "team" é',
      callerDetail: 'Ada <ada@example.com>',
      namespace: 'payments',
      route: 'decode',
      payloads: 3,
      keyVersions: ['default:1', 'default:2'],
      decodeErrors: contexts[0]!.decodeFailures!.slice(0, 100),
      decodeErrorCount: 120,
      storageObjects: ['bucket/a', 'bucket/b'],
      status: 400,
      errorCode: 'ERR_X',
      durationMs: 2,
      aborted: false,
      msg: 'codec request',
    });
    createAuditLog(logger)(contexts[1]!, 200, 1, false);
    expect(JSON.parse(lines[1]!)).toMatchObject({ caller: 'anonymous', namespace: null, errorCode: null, payloads: 0 });
  });

  it('writes nothing below the logger level, and goes through pino for a destination that wants metadata', () => {
    const quiet = collectingLogger('warn');
    createAuditLog(quiet.logger)(contexts[1]!, 200, 1, false);
    expect(quiet.lines).toEqual([]);

    const seen: number[] = [];
    const stream = pino.multistream([{ stream: { write: () => void seen.push(1) } }]);
    createAuditLog(pino({ level: 'info' }, stream))(contexts[1]!, 200, 1, false);
    expect(seen).toHaveLength(1);
  });
});
