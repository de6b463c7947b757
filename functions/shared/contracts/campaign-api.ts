/** Campaign's production REST API (the contract's `servers[0]`): config `campaign.apiBaseUrl`'s default. */
export const CAMPAIGN_PRODUCTION_API_URL = 'https://api.campaign.episerver.net/rest';
