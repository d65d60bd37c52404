import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What is stored instead of a secret: its SHA-256, hex. Secrets are 256-bit random, so a plain hash suffices. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hashes without leaking, through timing, where they differ. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A new API key secret: `brook_` and 43 characters of base64url (256 bits). */
export function newSecret(): string {
  return `brook_${randomBytes(32).toString('base64url')}`;
}

/** What `newKeyId` makes; anything else is not a key id. */
export const KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;

/** A new key id: `key_` and 16 hex characters. Ids are public; secrets are not. */
export function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}
