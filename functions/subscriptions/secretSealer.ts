/**
 * Webhook signing secrets at rest. A secret must be read back to sign each
 * delivery, so it cannot be hashed as API keys are: it is sealed with the
 * deployment's public key (RSA-OAEP, SHA-256), and only the holder of the
 * private key, the dispatcher, can open it. The API function that makes a
 * subscription seals with the public key alone: it can write secrets and
 * never read one back, and a reader of the table learns nothing.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import type { BrookConfig } from '../config.js';
import { CONFIG_ENV } from '../layout/env.js';

const VERSION = 'rsa1';
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

/** A new key pair for a deployment: the private key as PKCS#8 DER, the public key as SPKI DER, both base64. */
export function newSecretKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export function privateKeyFrom(base64: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'pkcs8' });
}

export function publicKeyFrom(base64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
}

/** The public key (SPKI DER, base64) of a private key (PKCS#8 DER, base64). */
export function publicKeyOf(privateKey: string): string {
  return createPublicKey(privateKeyFrom(privateKey)).export({ format: 'der', type: 'spki' }).toString('base64');
}

export function sealSecret(publicKey: KeyObject, secret: string): string {
  return `${VERSION}:${publicEncrypt({ key: publicKey, ...OAEP }, Buffer.from(secret, 'utf8')).toString('base64')}`;
}

export function openSecret(privateKey: KeyObject, sealed: string): string {
  const [version, data] = sealed.split(':');
  if (version !== VERSION || !data) throw new Error('not a sealed secret');
  return privateDecrypt({ key: privateKey, ...OAEP }, Buffer.from(data, 'base64')).toString('utf8');
}

/** Seals secrets with the public key of the deployment. */
export class SecretSealer {
  private readonly publicKey: KeyObject | undefined;

  constructor(publicKey: string | undefined) {
    this.publicKey = publicKey === undefined ? undefined : publicKeyFrom(publicKey);
  }

  seal(secret: string): string {
    if (!this.publicKey) throw new Error(`webhook secrets need ${CONFIG_ENV.secretPublicKey} (or ${CONFIG_ENV.secretKey})`);
    return sealSecret(this.publicKey, secret);
  }
}

/** The sealer of a deployment: its public key given, or made from the private key given (the local stack, tests). */
export function secretSealerFor(config: Pick<BrookConfig, 'secretKey' | 'secretPublicKey'>): SecretSealer {
  const privateKey = config.secretKey && 'value' in config.secretKey ? config.secretKey.value : undefined;
  return new SecretSealer(config.secretPublicKey ?? (privateKey ? publicKeyOf(privateKey) : undefined));
}
