/**
 * What the large-event writer needs of the S3 SDK: a module of its own, deployed as its own file and
 * imported on first use (lazy-modules.ts, large-event-objects.ts).
 */
export { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
