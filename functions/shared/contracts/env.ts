/**
 * One environment variable the stack gives a function: its name, how the function reads it and how
 * infra writes it. Infra's bind helpers write with {@link EnvVar.format}; each function reads its whole
 * spec once, at module scope, with {@link readEnvironment}. Defaults live only in infra/config.ts: a
 * variable the spec lists is required.
 */
export interface EnvVar<T> {
  readonly name: string;
  /** Reads the raw value; throws an Error whose message says what is wrong (without the name). */
  readonly parse: (raw: string) => T;
  /** The raw value for `value`, as infra writes it (tokens pass through unchanged). */
  readonly format: (value: T) => string;
}

/** What reading needs of a variable (any {@link EnvVar} is one). */
export interface ReadableEnvVar {
  readonly name: string;
  readonly parse: (raw: string) => unknown;
}

/** A function's environment: the variables it reads, by the name its code uses. */
export type EnvSpec = Readonly<Record<string, ReadableEnvVar>>;

/** The values of a spec once read. */
export type EnvValues<S extends EnvSpec> = {
  readonly [K in keyof S]: ReturnType<S[K]['parse']>;
};

export function envVar<T>(name: string, parse: (raw: string) => T, format: (value: T) => string): EnvVar<T> {
  return { name, parse, format };
}

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/**
 * Reads every variable of `spec` from `env`; throws an {@link EnvironmentError} naming each missing or
 * malformed variable. Call it once at module scope (a cold start that cannot read its settings fails
 * before the first request), never per request.
 */
export function readEnvironment<S extends EnvSpec>(
  spec: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EnvValues<S> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(spec)) {
    const raw = env[variable.name];
    if (raw === undefined || raw === '') {
      problems.push(`Missing required environment variable ${variable.name}`);
      continue;
    }
    try {
      values[key] = variable.parse(raw);
    } catch (error) {
      problems.push(`Environment variable ${variable.name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new EnvironmentError(problems.join('; '));
  return values as EnvValues<S>;
}

/** The names of the variables a spec reads. */
export function variableNames(spec: EnvSpec): string[] {
  return Object.values(spec).map((variable) => variable.name);
}

/** `[name, raw value]` of one variable, as infra writes it. */
export function envEntry<T>(variable: EnvVar<T>, value: T): [string, string] {
  return [variable.name, variable.format(value)];
}
