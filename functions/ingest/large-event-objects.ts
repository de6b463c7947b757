import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectWriter } from './event-store.js';

/** Writes large events' text to `bucket` (encrypted with the bucket's default key, the stack's). */
export function s3ObjectWriter(client: S3Client, bucket: string): ObjectWriter {
  return async (key, body, abortSignal) => {
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      { abortSignal },
    );
  };
}
