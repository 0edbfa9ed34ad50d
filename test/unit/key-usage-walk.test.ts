import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { forEachPayload, type PayloadPlace } from '../../admin/usage/payload-walk.js';
import { SubjectPayloads, UsageTally } from '../../admin/usage/usage-tally.js';
import { ENCRYPTED_ENCODING, FORMAT_IDS, METADATA_KEYS } from '../../codec/index.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** A payload whose metadata says "encrypted under keyId/version" (the walk never opens it). */
function sealed(version: number | string, options: { keyId?: string; wrappedKey?: string } = {}): Payload {
  return {
    metadata: {
      [METADATA_KEYS.encoding]: utf8(ENCRYPTED_ENCODING),
      [METADATA_KEYS.format]: utf8(FORMAT_IDS.v1),
      [METADATA_KEYS.keyId]: utf8(options.keyId ?? 'orders'),
      [METADATA_KEYS.keyVersion]: utf8(String(version)),
      ...(options.wrappedKey === undefined ? {} : { [METADATA_KEYS.wrappedKey]: utf8(options.wrappedKey) }),
    },
    data: Buffer.from([1, 2, 3]),
  };
}

const plain = (text: string): Payload => ({ metadata: { encoding: utf8('json/plain') }, data: utf8(text) });
const failure = (version: number, cause?: object) => ({
  message: 'Encoded failure',
  encodedAttributes: sealed(version),
  ...(cause === undefined ? {} : { cause }),
});

/** The events of a history, round-tripped through the protobuf encoding as the Temporal client returns them. */
function decodedEvents(events: object[]) {
  const History = temporal.api.history.v1.History;
  return History.decode(History.encode(History.fromObject({ events })).finish()).events;
}

// One event of each payload-bearing kind the walk must reach, including failures nested three causes deep.
const EVENTS = decodedEvents([
  {
    eventId: 1,
    workflowExecutionStartedEventAttributes: {
      input: { payloads: [sealed(1), sealed(1)] },
      memo: { fields: { customer: sealed(1) } },
      header: { fields: { tracing: sealed(2) } },
      searchAttributes: { indexedFields: { CustomerId: plain('"c-1"') } },
      continuedFailure: failure(1, { applicationFailureInfo: { details: { payloads: [sealed(2)] } } }),
      lastCompletionResult: { payloads: [sealed(2)] },
    },
    userMetadata: { summary: sealed(2), details: sealed(2) },
  },
  { eventId: 2, activityTaskFailedEventAttributes: { failure: failure(2, failure(2, failure(1))) } },
  { eventId: 3, markerRecordedEventAttributes: { details: { data: { payloads: [sealed(2)] } } } },
  {
    eventId: 4,
    workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { args: { payloads: [sealed(2)] } } } },
  },
  {
    eventId: 5,
    workflowExecutionUpdateCompletedEventAttributes: { outcome: { failure: failure(2) } },
  },
  {
    eventId: 6,
    startChildWorkflowExecutionInitiatedEventAttributes: {
      input: { payloads: [sealed(2, { keyId: 'billing' })] },
      memo: { fields: { m: sealed(2) } },
    },
  },
  { eventId: 7, nexusOperationScheduledEventAttributes: { input: sealed(2) } },
  { eventId: 8, workflowPropertiesModifiedEventAttributes: { upsertedMemo: { fields: { m: plain('1') } } } },
  { eventId: 9, workflowExecutionSignaledEventAttributes: { input: { payloads: [sealed('x'), sealed(3)] } } },
  {
    eventId: 10,
    workflowExecutionCompletedEventAttributes: {
      result: { payloads: [sealed(3, { wrappedKey: 'vault:v3:abc' }), sealed(3, { wrappedKey: 'vault:v4:abc' })] },
    },
  },
]);

/** An independent count: anything anywhere with a `metadata` object and `data` bytes is a payload. */
function genericCount(value: unknown): number {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return 0;
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + genericCount(item), 0);
  const record = value as Record<string, unknown>;
  if (typeof record.metadata === 'object' && record.data instanceof Uint8Array) return 1;
  return Object.values(record).reduce((n: number, item) => n + genericCount(item), 0);
}

describe('the schema-driven payload walk', () => {
  it('reaches every payload of every event kind, as many as a blind walk over the whole message finds', () => {
    const found: Array<{ payload: Payload; place: PayloadPlace }> = [];
    for (const event of EVENTS)
      forEachPayload('historyEvent', event, (payload, place) => found.push({ payload, place }));
    expect(found).toHaveLength(genericCount(EVENTS));
    expect(found).toHaveLength(24);
    expect(found.filter((f) => f.place.searchAttribute)).toHaveLength(1);
  });

  it('replaces payloads in place: repeated, map and singular fields', () => {
    const HistoryEvent = temporal.api.history.v1.HistoryEvent;
    const started = HistoryEvent.decode(HistoryEvent.encode(EVENTS[0]!).finish());
    forEachPayload('historyEvent', started, (_payload, _place, replace) => replace(plain('swapped')));
    const attributes = started.workflowExecutionStartedEventAttributes!;
    expect(Buffer.from(attributes.input!.payloads![1]!.data!).toString()).toBe('swapped');
    expect(Buffer.from(attributes.memo!.fields!.customer!.data!).toString()).toBe('swapped');
    expect(Buffer.from(started.userMetadata!.summary!.data!).toString()).toBe('swapped');
  });
});

describe('key usage read from payload metadata', () => {
  it('counts payloads per key id and version, unencrypted ones apart from search attributes, malformed ones apart', () => {
    const subject = new SubjectPayloads();
    for (const event of EVENTS) {
      forEachPayload('historyEvent', event, (payload, place) => subject.add(payload, place, Number(event.eventId)));
    }
    const refs = Object.fromEntries(
      [...subject.refs.values()].map((r) => [`${r.keyId}@${r.version}`, [r.payloads, r.oldestMs, r.newestMs]]),
    );
    expect(refs).toEqual({
      'orders@1': [5, 1, 2],
      'orders@2': [12, 1, 7],
      'billing@2': [1, 6, 6],
      'orders@3': [2, 9, 10],
    });
    // The upserted memo is unencrypted; the search attribute is not counted; "x" and the v4 wrapped key are malformed.
    expect([subject.unencrypted, subject.malformed]).toEqual([1, 2]);
  });

  it('tallies subjects per category with a few names each, and leaves closed as null when not read', () => {
    const tally = new UsageTally({ includeClosed: false, maxExamples: 2 });
    for (const name of ['a', 'b', 'c']) {
      const subject = new SubjectPayloads();
      subject.add(sealed(1), { searchAttribute: false }, Date.UTC(2030, 0, name.charCodeAt(0) - 96));
      subject.add(sealed(1), { searchAttribute: false }, undefined);
      tally.record('open', name, subject);
    }
    const scheduled = new SubjectPayloads();
    scheduled.add(sealed(2), { searchAttribute: false }, undefined);
    tally.record('schedules', 's', scheduled);
    expect(tally.versions()).toEqual([
      {
        keyId: 'orders',
        version: 1,
        open: { subjects: 3, payloads: 6, examples: ['a', 'b'] },
        schedules: { subjects: 0, payloads: 0, examples: [] },
        closed: null,
        oldestUse: '2030-01-01T00:00:00.000Z',
        newestUse: '2030-01-03T00:00:00.000Z',
      },
      expect.objectContaining({ version: 2, schedules: { subjects: 1, payloads: 1, examples: ['s'] } }),
    ]);
    expect(tally.totals()).toMatchObject({ open: { subjects: 3 }, schedules: { subjects: 1 }, closed: null });
  });
});
