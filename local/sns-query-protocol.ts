/**
 * The AWS Query protocol as the SDK v3 SNS client speaks it (checked against @aws-sdk/client-sns 3.1169:
 * `protocol: AwsQueryProtocol`, version 2010-03-31): requests are form-encoded `Action=...&Version=...`
 * with lists as `Name.member.N` and maps as `Name.entry.N.{key,value}` (or `{Name,Value}` for message
 * attributes); responses are XML `<{Action}Response><{Action}Result>...</{Action}Result>` and errors are
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 */

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** A form parameter tree: `a.b.1.c=x` becomes `{ a: { b: { '1': { c: 'x' } } } }`. */
export interface QueryTree {
  [key: string]: QueryValue;
}
export type QueryValue = string | QueryTree;

export function parseQueryParameters(params: URLSearchParams): QueryTree {
  const root: QueryTree = {};
  for (const [name, value] of params) {
    const segments = name.split('.');
    let node = root;
    segments.forEach((segment, index) => {
      if (index === segments.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (typeof next === 'object') {
        node = next;
      } else {
        const child: QueryTree = {};
        node[segment] = child;
        node = child;
      }
    });
  }
  return root;
}

export function stringParam(tree: QueryTree | undefined, name: string): string | undefined {
  const value = tree?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The items of a `Name.member.N` list in index order; `Name=` (an empty list) and an absent list give []. */
export function listParam(tree: QueryTree | undefined, name: string): QueryValue[] {
  const value = tree?.[name];
  if (value === undefined || typeof value === 'string') return [];
  const members = value.member;
  if (members === undefined || typeof members === 'string') return [];
  return Object.keys(members)
    .filter((index) => /^\d+$/.test(index))
    .sort((a, b) => Number(a) - Number(b))
    .map((index) => members[index] as QueryValue);
}

/** The entries of a `Name.entry.N.{keyName,valueName}` map, in index order. */
export function mapParam(
  tree: QueryTree | undefined,
  name: string,
  keyName: string,
  valueName: string,
): Array<[string, QueryValue | undefined]> {
  const value = tree?.[name];
  if (value === undefined || typeof value === 'string') return [];
  const entries = value.entry;
  if (entries === undefined || typeof entries === 'string') return [];
  return Object.keys(entries)
    .filter((index) => /^\d+$/.test(index))
    .sort((a, b) => Number(a) - Number(b))
    .map((index) => {
      const entry = entries[index];
      const tree = typeof entry === 'object' ? entry : {};
      return [stringParam(tree, keyName) ?? '', tree[valueName]];
    });
}

// ---- XML ----

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An XML element tree: strings are text, arrays are repeated `member` elements, objects nest. */
export type XmlValue = string | number | boolean | XmlValue[] | { [element: string]: XmlValue | undefined };

export function toXml(value: XmlValue): string {
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter((entry): entry is [string, XmlValue] => entry[1] !== undefined)
      .map(([element, child]) => `<${element}>${toXml(child)}</${element}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** A `<entry><key/><value/></entry>` map, as GetTopicAttributes answers. */
export function xmlMap(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([key, value]) => `<entry><key>${escapeXml(key)}</key><value>${escapeXml(value)}</value></entry>`)
    .join('');
}

export function successXml(action: string, resultXml: string, requestId: string): string {
  return (
    `<?xml version="1.0"?>\n<${action}Response xmlns="${SNS_XML_NAMESPACE}">` +
    `<${action}Result>${resultXml}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>\n`
  );
}

export function errorXml(
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
  requestId: string,
): string {
  return (
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${SNS_XML_NAMESPACE}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>\n`
  );
}

/** An error SNS answers with: its HTTP status, query error code and message. */
export class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get type(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}
