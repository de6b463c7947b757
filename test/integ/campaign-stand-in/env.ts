/** The Campaign stand-in's environment: set by the integ app (campaign-events.integ-app.ts), read by its handler. */
export const CAMPAIGN_STAND_IN_ENV = {
  /** The deployed events POST URL (the construct's `endpointUrl`). */
  endpointUrl: 'ENDPOINT_URL',
  /** The endpoint-key secret Campaign would have been given the key from. */
  endpointKeySecretId: 'ENDPOINT_KEY_SECRET_ID',
  /** The keyAuth header name (config `api.authHeaderName`). */
  authHeaderName: 'AUTH_HEADER_NAME',
} as const;
