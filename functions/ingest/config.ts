import type { EnvValues } from '../shared/contracts/env.js';
import type { INGEST_ENV } from '../shared/contracts/environment.js';

/** The ingest function's settings: its environment spec (functions/shared/contracts) once read. */
export type IngestConfig = EnvValues<typeof INGEST_ENV>;
