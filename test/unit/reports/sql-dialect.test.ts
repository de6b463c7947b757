import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import {
  BOUNCE_CATEGORY_FIELDS,
  EVENT_TIME_FIELDS,
  MEDIA_TYPE_FIELD,
} from '../../../functions/shared/events/schema.js';
import { positionalSql, REPORT_NAMES, reportSql } from '../../../reports/catalog.js';
import { TRINO_COMPATIBILITY_MACROS } from '../../../scripts/report/duckdb-engine.js';

/**
 * Athena's dialect is checked without an account in two ways: every report parses with a parser generated
 * from Trino's own grammar (dt-sql-parser's TrinoSQL), and every function it calls is one of the functions
 * below, each in Trino's documented function list (Athena engine version 3 is Trino) and run here on
 * DuckDB either natively or through a same-named macro (the DuckDB tests run every report).
 */
const TRINO_FUNCTIONS_USED = new Set([
  'cardinality',
  'coalesce',
  'count',
  'count_if',
  'date_diff',
  'date_trunc',
  'from_iso8601_timestamp',
  'greatest',
  'json_extract',
  'json_extract_scalar',
  'lag',
  'lower',
  'map_keys',
  'max',
  'avg',
  'nullif',
  'power',
  'replace',
  'round',
  'row_number',
  'sum',
  'try',
]);
/** Words followed by "(" that are syntax, not calls (IN, AS, OVER, CAST, the map(…) type). */
const NOT_CALLS = new Set(['in', 'as', 'over', 'map', 'cast']);

describe('report SQL', () => {
  const parser = new TrinoSQL();

  it.each(REPORT_NAMES)('%s parses as Trino SQL once its placeholders are positional', (name) => {
    const { text } = positionalSql(reportSql(name));
    expect(
      parser.validate(text).map((error) => `${error.startLine}:${error.startColumn} ${error.message}`),
    ).toEqual([]);
  });

  it('the parser refuses what Trino does not accept (the check can fail)', () => {
    expect(parser.validate('SELECT a::int FROM campaign_events').length).toBeGreaterThan(0);
    expect(parser.validate('SELECT * FROM campaign_events QUALIFY true').length).toBeGreaterThan(0);
  });

  it.each(REPORT_NAMES)('%s calls only the listed Trino functions', (name) => {
    const code = reportSql(name).replace(/--.*$/gm, '');
    const calls = [...code.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)].map((match) =>
      (match[1] as string).toLowerCase(),
    );
    const unlisted = calls.filter((call) => !NOT_CALLS.has(call) && !TRINO_FUNCTIONS_USED.has(call));
    expect(unlisted).toEqual([]);
  });

  it.each(REPORT_NAMES)(
    '%s prunes partitions: a date range and a list of event types on the table',
    (name) => {
      const code = reportSql(name).replace(/--.*$/gm, '');
      expect(code).toMatch(
        /FROM campaign_events\s+WHERE dt BETWEEN :from AND :to\s+AND event_type IN \('[a-z]+'/,
      );
      expect(code.match(/FROM campaign_events/g)).toHaveLength(1);
    },
  );

  it('each DuckDB macro defines a Trino function the reports call', () => {
    const names = TRINO_COMPATIBILITY_MACROS.map((macro) => /CREATE MACRO (\w+)\(/.exec(macro)?.[1]);
    for (const name of names) expect(TRINO_FUNCTIONS_USED.has(name as string)).toBe(true);
  });

  it('turns named placeholders into positional ones, in order, leaving comments alone', () => {
    expect(
      positionalSql('-- :from\nWHERE dt BETWEEN :from AND :to AND m = COALESCE(:mailing, m) -- :to'),
    ).toEqual({
      text: '-- :from\nWHERE dt BETWEEN ? AND ? AND m = COALESCE(?, m) -- :to',
      parameters: ['from', 'to', 'mailing'],
    });
  });

  it('reads the event fields the ingest reads, in its order (bounce category, event time, media type)', () => {
    const fieldsRead = (name: (typeof REPORT_NAMES)[number]) =>
      [...reportSql(name).matchAll(/json_extract_scalar\(event, '\$\.(\w+)'\)/g)].map((match) => match[1]);
    const bounce = [...BOUNCE_CATEGORY_FIELDS];
    expect(fieldsRead('mailing-performance')).toEqual([...bounce, ...bounce]);
    expect(fieldsRead('bounce-complaint-trends')).toEqual([...bounce, ...bounce]);
    expect(fieldsRead('dispatch-timeline')).toEqual([...EVENT_TIME_FIELDS]);
    expect(fieldsRead('channel-affinity')).toEqual([MEDIA_TYPE_FIELD]);
  });
});
