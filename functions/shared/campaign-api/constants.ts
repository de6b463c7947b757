/** Campaign's production REST API (the contract's `servers[0]`). Mirrors infra/config.ts. */
export const CAMPAIGN_PRODUCTION_API_URL = 'https://api.campaign.episerver.net/rest';

/** Requests one client instance keeps in flight at most; Campaign allows 25 parallel connections per client. */
export const DEFAULT_MAX_CONCURRENCY = 5;
