import { compileEventPattern, EventPatternError, isObject } from '../event-pattern.js';

/**
 * Lambda event source mapping filter criteria (the `FilterCriteria.Filters[].Pattern` JSON the stack
 * synthesizes), applied to a record as Lambda hands it to the function: it passes when any pattern
 * matches. The grammar is the AWS event-pattern one (../event-pattern.ts), shared with SNS filter policies.
 */

export { EventPatternError as FilterSyntaxError } from '../event-pattern.js';

/** Compiles the patterns (JSON strings or objects) into one predicate: true when any pattern matches. */
export function compileFilterCriteria(
  patterns: ReadonlyArray<string | object>,
): (record: unknown) => boolean {
  const matchers = patterns.map((pattern, index) => {
    let parsed: unknown = pattern;
    if (typeof pattern === 'string') {
      try {
        parsed = JSON.parse(pattern);
      } catch {
        throw new EventPatternError(`Filter pattern ${index} is not JSON`);
      }
    }
    if (!isObject(parsed)) throw new EventPatternError(`Filter pattern ${index} must be a JSON object`);
    return compileEventPattern(parsed, `pattern ${index}`);
  });
  return (record) => matchers.length === 0 || matchers.some((matches) => matches(record));
}
