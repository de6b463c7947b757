import type { ObjectWriter } from './event-store.js';
import { LAZY_MODULES, lazyModuleSpecifier } from './lazy-modules.js';

type S3 = typeof import('./s3-put-object.js');
type S3Client = InstanceType<S3['S3Client']>;

/**
 * Writes large events' text to `bucket` (encrypted with the bucket's default key, the stack's). The S3
 * SDK is loaded, and `createClient` called, on the first write: few batches hold a large event
 * (lazy-modules.ts).
 */
export function s3ObjectWriter(bucket: string, createClient: (s3: S3) => S3Client): ObjectWriter {
  let loaded: Promise<{ client: S3Client; s3: S3 }> | undefined;
  return async (key, body, abortSignal) => {
    const specifier = lazyModuleSpecifier(LAZY_MODULES.s3PutObject, import.meta.url);
    loaded ??= (import(/* @vite-ignore */ specifier) as Promise<S3>).then((s3) => ({
      client: createClient(s3),
      s3,
    }));
    const { client, s3 } = await loaded;
    await client.send(
      new s3.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      { abortSignal },
    );
  };
}
