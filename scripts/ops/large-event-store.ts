import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { RawObjectPointer } from '../../functions/shared/events/stored-event.js';
import { LARGE_EVENT_PREFIX } from '../../infra/constructs/large-event-bucket.js';

/** The part of the S3 client the commands use. */
export type ObjectClient = Pick<S3Client, 'send'>;

/**
 * The large-event bucket (the ingest's claim check) as the operator commands use it: an item's event
 * text by its pointer's byte range, whole objects, and the listing of what the ingest wrote.
 */
export interface LargeEventStore {
  /** The event text a pointer names (one byte range of an object). */
  readText(pointer: RawObjectPointer): Promise<string>;
  readObject(bucket: string, key: string): Promise<Buffer | undefined>;
  putObject(bucket: string, key: string, body: Buffer | string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  /** Every object key the ingest writes (under events/). */
  listKeys(bucket: string): Promise<string[]>;
}

export function createLargeEventStore(client: ObjectClient): LargeEventStore {
  const bytesOf = async (output: GetObjectCommandOutput) =>
    Buffer.from((await output.Body?.transformToByteArray()) ?? new Uint8Array());
  return {
    async readText(pointer) {
      const output = (await client.send(
        new GetObjectCommand({
          Bucket: pointer.bucket,
          Key: pointer.key,
          Range: `bytes=${pointer.offset}-${pointer.offset + pointer.bytes - 1}`,
        }),
      )) as GetObjectCommandOutput;
      return (await bytesOf(output)).toString('utf8');
    },
    async readObject(bucket, key) {
      try {
        return await bytesOf(
          (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))) as GetObjectCommandOutput,
        );
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async putObject(bucket, key, body) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      );
    },
    async deleteObject(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async listKeys(bucket) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = (await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: LARGE_EVENT_PREFIX, ContinuationToken: token }),
        )) as ListObjectsV2CommandOutput;
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys;
    },
  };
}
