/**
 * Message attributes that a publisher and a subscription filter policy must agree on, defined once.
 * (The fan-out's own attributes are documented in functions/fan-out/message.ts.)
 */

/**
 * Marks a message republished by `npm run replay`; its value names the replay (its start time).
 * The stack's archive subscriptions filter it out (the events are archived already); other subscribers
 * can filter it out the same way (`{"replay": [{"exists": false}]}`).
 */
export const REPLAY_ATTRIBUTE = 'replay';
