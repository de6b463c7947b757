/**
 * Modules of the ingest that its bundle imports on first use only, deployed as files of their own beside
 * `index.mjs` (ProjectFunction's `lazyModules`): their dependencies are then not even parsed at a cold
 * start. The S3 SDK serves only events too large for an item; bundled in, it made the ingest's cold start
 * about a tenth slower (npm run bench).
 */
export const LAZY_MODULES = { s3PutObject: 's3-put-object' } as const;

/** The modules infra bundles on their own (each `<name>.ts` in the function's folder). */
export const LAZY_MODULE_NAMES: readonly string[] = Object.values(LAZY_MODULES);

/** The file a lazy module is deployed as, beside `index.mjs`. */
export const bundledLazyModule = (name: string): string => `${name}.mjs`;

/**
 * The specifier that imports a lazy module from code in the same folder: the bundled file beside the
 * bundle when running as a bundle (this code is then in `index.mjs`), the TypeScript module from source.
 */
export function lazyModuleSpecifier(name: string, importerUrl: string): string {
  return new URL(importerUrl).pathname.endsWith('.mjs') ? `./${bundledLazyModule(name)}` : `./${name}.js`;
}
