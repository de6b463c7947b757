import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The init floor: a bundle that does nothing at load but construct a DynamoDB client. */
const client = new DynamoDBClient({});

export const handler = async (): Promise<string> => String(client.config.serviceId);
