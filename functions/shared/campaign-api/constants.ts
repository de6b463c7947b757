/** Requests one client instance keeps in flight at most; Campaign allows 25 parallel connections per client. */
export const DEFAULT_MAX_CONCURRENCY = 5;
