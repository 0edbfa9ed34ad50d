import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';

/**
 * Finds every `temporal.api.common.v1.Payload` inside a Temporal API message, guided by the protobuf schema itself
 * (the reflection `@temporalio/proto` ships) rather than by a hand-kept list of fields: inputs, results, signals,
 * memos, headers, failures (`encoded_attributes`, details, causes), user metadata, markers, updates, Nexus
 * operations, and whatever field a future API version adds. Messages are walked only along fields that can reach a
 * payload, so the walk costs what the payloads cost, not what the event costs.
 */

/** The part of protobufjs' reflection this walk reads. */
interface ReflectedField {
  readonly name: string;
  readonly map: boolean;
  readonly repeated: boolean;
  resolve(): ReflectedField;
  readonly resolvedType: ReflectedType | object | null;
}

/** A reflected message type. */
interface ReflectedType {
  readonly fullName: string;
  readonly fieldsArray: readonly ReflectedField[];
}

/** Where a payload was found, as far as the caller needs to know. */
export interface PayloadPlace {
  /** Inside `SearchAttributes`: indexed by the server, never encoded by SDKs, so never a sign of missing encryption. */
  readonly searchAttribute: boolean;
}

/** Called for each payload; `replace` swaps it for another in the (caller-owned) message. */
export type PayloadVisitor = (payload: Payload, place: PayloadPlace, replace: (next: Payload) => void) => void;

// The package is CommonJS: Node's ESM loader sees only its default export.
const { temporal } = proto;

/** Message types the usage scan starts from. */
export const WALK_ROOTS = {
  historyEvent: temporal.api.history.v1.HistoryEvent,
  schedule: temporal.api.schedule.v1.Schedule,
  memo: temporal.api.common.v1.Memo,
  searchAttributes: temporal.api.common.v1.SearchAttributes,
} as const;

/** One of {@link WALK_ROOTS}. */
export type WalkRoot = keyof typeof WALK_ROOTS;

const PAYLOAD_TYPE = '.temporal.api.common.v1.Payload';
const SEARCH_ATTRIBUTES_TYPE = '.temporal.api.common.v1.SearchAttributes';

interface FieldPlan {
  readonly name: string;
  readonly map: boolean;
  readonly repeated: boolean;
  /** `undefined` when the field's type is `Payload` itself. */
  readonly type: ReflectedType | undefined;
}

function isMessageType(value: unknown): value is ReflectedType {
  return typeof value === 'object' && value !== null && Array.isArray((value as ReflectedType).fieldsArray);
}

function messageTypeOf(field: ReflectedField): ReflectedType | undefined {
  const resolved = field.resolve().resolvedType;
  return isMessageType(resolved) ? resolved : undefined;
}

/**
 * For each message type reachable from the roots, the fields that can lead to a payload. Recursive types
 * (`Failure.cause`) make a single depth-first pass wrong, so this is a fixed point: start from "no type bears
 * payloads" and mark types until nothing changes.
 */
function buildPlans(roots: readonly ReflectedType[]): Map<ReflectedType, FieldPlan[]> {
  const reachable = new Set<ReflectedType>();
  const queue = [...roots];
  for (let type = queue.pop(); type !== undefined; type = queue.pop()) {
    if (reachable.has(type) || type.fullName === PAYLOAD_TYPE) continue;
    reachable.add(type);
    for (const field of type.fieldsArray) {
      const child = messageTypeOf(field);
      if (child !== undefined) queue.push(child);
    }
  }
  const bearing = new Set<string>([PAYLOAD_TYPE]);
  for (let changed = true; changed;) {
    changed = false;
    for (const type of reachable) {
      if (bearing.has(type.fullName)) continue;
      if (type.fieldsArray.some((field) => bearing.has(messageTypeOf(field)?.fullName ?? ''))) {
        bearing.add(type.fullName);
        changed = true;
      }
    }
  }
  const plans = new Map<ReflectedType, FieldPlan[]>();
  for (const type of reachable) {
    const fields: FieldPlan[] = [];
    for (const field of type.fieldsArray) {
      const child = messageTypeOf(field);
      if (child === undefined || !bearing.has(child.fullName)) continue;
      const isPayload = child.fullName === PAYLOAD_TYPE;
      fields.push({ name: field.name, map: field.map, repeated: field.repeated, type: isPayload ? undefined : child });
    }
    plans.set(type, fields);
  }
  return plans;
}

const ROOT_TYPES = Object.fromEntries(
  Object.entries(WALK_ROOTS).map(([name, type]) => [name, type as unknown as ReflectedType]),
) as Record<WalkRoot, ReflectedType>;
let plans: Map<ReflectedType, FieldPlan[]> | undefined;

function walk(type: ReflectedType, message: Record<string, unknown>, place: PayloadPlace, visit: PayloadVisitor) {
  plans ??= buildPlans(Object.values(ROOT_TYPES));
  const inner: PayloadPlace =
    type.fullName === SEARCH_ATTRIBUTES_TYPE && !place.searchAttribute ? { searchAttribute: true } : place;
  for (const field of plans.get(type) ?? []) {
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    const handle = (item: unknown, replace: (next: Payload) => void): void => {
      if (typeof item !== 'object' || item === null) return;
      if (field.type === undefined) visit(item, inner, replace);
      else walk(field.type, item as Record<string, unknown>, inner, visit);
    };
    if (field.map) {
      const entries = value as Record<string, unknown>;
      for (const key of Object.keys(entries)) handle(entries[key], (next) => (entries[key] = next));
    } else if (field.repeated) {
      const items = value as unknown[];
      items.forEach((item, i) => handle(item, (next) => (items[i] = next)));
    } else {
      handle(value, (next) => (message[field.name] = next));
    }
  }
}

/**
 * Calls `visit` for every payload inside `message`, a decoded message of type `root` (as the Temporal client
 * returns it). Payloads inside payloads (a `binary/protobuf` payload holding other payloads) are not opened.
 */
export function forEachPayload(root: WalkRoot, message: object, visit: PayloadVisitor): void {
  walk(ROOT_TYPES[root], message as Record<string, unknown>, { searchAttribute: root === 'searchAttributes' }, visit);
}
