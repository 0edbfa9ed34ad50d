/** A `google.protobuf.Timestamp` or `Duration` as the Temporal client decodes it (`seconds` may be a `Long`). */
export interface ProtoSeconds {
  readonly seconds?: { toString(): string } | number | null;
  readonly nanos?: number | null;
}

/** Milliseconds of a protobuf timestamp or duration; `undefined` when absent. */
export function protoMillis(value: ProtoSeconds | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const seconds = value.seconds === null || value.seconds === undefined ? 0 : Number(String(value.seconds));
  return seconds * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}
