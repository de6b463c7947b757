import type { Scenario } from './scenario.js';
import { dynamodbRestart } from './scenarios/dynamodb-restart.js';
import { poisonMessage } from './scenarios/poison.js';
import { redeliveredBatch } from './scenarios/redelivery.js';
import { secretsDown } from './scenarios/secrets-down.js';
import { slowStorage } from './scenarios/slow-storage.js';
import { snsOutage } from './scenarios/sns-outage.js';
import { snsTransient } from './scenarios/sns-transient.js';

/** Every scenario of the drill, in the order it runs them. */
export const SCENARIOS: readonly Scenario[] = [
  snsTransient(0.01),
  snsTransient(0.3),
  snsOutage,
  poisonMessage,
  dynamodbRestart,
  slowStorage,
  secretsDown,
  redeliveredBatch,
];

export function scenarioNamed(name: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (scenario === undefined)
    throw new Error(`No scenario ${name}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return scenario;
}
