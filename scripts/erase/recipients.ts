import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The recipients an erasure is for: an address (it holds an `@`; compared without case and surrounding
 * space, as mail systems treat the domain and Campaign the address) or a recipient id (compared exactly
 * as text). Given with --recipient (repeatable) and --file (one a line; empty lines and `#` comments
 * skipped). Only hashes of them are ever printed or stored.
 */
export interface Recipient {
  readonly kind: 'address' | 'id';
  /** Normalized: an address lower-cased and trimmed, an id trimmed. */
  readonly value: string;
}

export function parseRecipients(given: readonly string[], file: string | undefined): Recipient[] {
  const lines = file === undefined ? [] : readFileSync(file, 'utf8').split(/\r?\n/);
  const all = [...given, ...lines.filter((line) => !line.trim().startsWith('#'))]
    .map((text) => text.trim())
    .filter((text) => text !== '');
  const unique = new Map<string, Recipient>();
  for (const text of all) {
    const recipient: Recipient = text.includes('@')
      ? { kind: 'address', value: text.toLowerCase() }
      : { kind: 'id', value: text };
    unique.set(`${recipient.kind}:${recipient.value}`, recipient);
  }
  return [...unique.values()];
}

/**
 * The audit's pseudonym of a recipient: SHA-256 of a per-erasure random salt and the normalized value.
 * Someone who knows an address and the record's salt can check it was erased (the data-protection
 * officer answering "did you erase me?"); the record alone names no one.
 */
export function recipientHash(recipient: Recipient, salt: string): string {
  return createHash('sha256').update(salt).update(`${recipient.kind}:${recipient.value}`).digest('hex');
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}
