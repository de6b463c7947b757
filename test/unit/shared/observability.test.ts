import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../../functions/shared/observability.js';

describe('observability', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('traces in Lambda only: tests and the local run need no X-Ray daemon', () => {
    vi.stubEnv('AWS_EXECUTION_ENV', '');
    expect(createObservability().tracer.isTracingEnabled()).toBe(false);
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    expect(createObservability().tracer.isTracingEnabled()).toBe(true);
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    expect(createObservability().tracer.isTracingEnabled()).toBe(false);
  });
});
