/**
 * What the large-event writer needs of the S3 SDK, in a module of its own that it imports on first use
 * (large-event-objects.ts). Importing the package itself that way would bundle every S3 command.
 */
export { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
