import type { z } from 'zod';

/**
 * One setting, declared once: where it is read from (a flag, an environment variable), how its raw string is
 * validated, and how `--help` and the docs describe it. Programs parse, print help and generate their docs table
 * from a record of these, so the three cannot drift apart.
 */
export interface SettingSpec<Schema extends z.ZodType = z.ZodType> {
  /** `--flag` name; absent for settings that only come from the environment (secrets stay out of `ps`). */
  readonly flag?: string;
  /** Environment variable name; absent for flags with no variable (`--help`). */
  readonly env?: string;
  /** How `util.parseArgs` reads the flag. */
  readonly type: 'string' | 'boolean';
  /** Validates and converts the raw value. Carries no default where a setting given by mistake must be noticed. */
  readonly schema: Schema;
  /** One line for `--help`. */
  readonly help: string;
  /** The default as the docs table shows it (markdown); empty when there is none. */
  readonly docsDefault: string;
  /** The "meaning" column of the docs table (markdown). */
  readonly docs: string;
}

/**
 * A {@link SettingSpec} keeping its schema's type (so a program's parsed settings are typed); `type` defaults to
 * `string` and `docsDefault` to none.
 */
export function defineSetting<Schema extends z.ZodType>(
  spec: Omit<SettingSpec<Schema>, 'type' | 'docsDefault'> & Partial<Pick<SettingSpec, 'type' | 'docsDefault'>>,
): SettingSpec<Schema> {
  return { type: 'string', docsDefault: '', ...spec };
}

/** The schemas of a table's settings, keyed like the table (for `z.object`). */
export function settingSchemas<Table extends Readonly<Record<string, SettingSpec>>>(
  table: Table,
): { [Name in keyof Table]: Table[Name]['schema'] } {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, spec.schema])) as {
    [Name in keyof Table]: Table[Name]['schema'];
  };
}

/** A record of settings keyed by their name in the program. */
export type SettingTable = Readonly<Record<string, SettingSpec>>;

/** One refused setting; `message` completes "--flag (VARIABLE): ...". */
export interface SettingProblem<Name extends string = string> {
  readonly setting: Name;
  readonly message: string;
}

/** Raw values of a table's settings, as flags and the environment gave them. */
export type SettingValues<Table extends SettingTable> = Partial<Record<keyof Table & string, string | boolean>>;

/**
 * The raw value of each setting: its flag (from `util.parseArgs`' values, keyed by flag name) wins over its
 * environment variable. An empty variable counts as unset, as shells and compose files often export `VAR=` by
 * accident.
 */
export function settingValues<Table extends SettingTable>(
  table: Table,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): SettingValues<Table> {
  const values: Record<string, string | boolean> = {};
  for (const [name, spec] of Object.entries(table)) {
    const fromFlag = spec.flag === undefined ? undefined : flags[spec.flag];
    const fromEnv = spec.env === undefined || env[spec.env] === '' ? undefined : env[spec.env];
    const value = fromFlag ?? fromEnv;
    if (value !== undefined) values[name] = value;
  }
  return values as SettingValues<Table>;
}

/** How messages name a setting: `--flag (VARIABLE)`, or whichever of the two it has. */
export function settingLabel(spec: Pick<SettingSpec, 'flag' | 'env'>): string {
  if (spec.flag === undefined) return spec.env ?? 'configuration';
  return spec.env === undefined ? `--${spec.flag}` : `--${spec.flag} (${spec.env})`;
}
