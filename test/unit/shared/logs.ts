import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';

/** A Logger at DEBUG whose every line (POWERTOOLS_DEV mode prints through the global console) is kept. */
export function capturedLogger(serviceName: string): {
  logger: Logger;
  lines: () => string[];
  restore: () => void;
} {
  const methods = ['debug', 'info', 'warn', 'error', 'log'] as const;
  const spies = methods.map((method) => vi.spyOn(console, method).mockImplementation(() => {}));
  const logger = new Logger({ serviceName, logLevel: 'DEBUG' });
  return {
    logger,
    lines: () => spies.flatMap((spy) => spy.mock.calls.map((call) => call.map(String).join(' '))),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
