/**
 * Opens webhook secrets (secretSealer.ts) with the deployment's private
 * key: given directly (the local stack, tests) or read once from its SSM
 * SecureString (AWS). Only the dispatcher holds one.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { KeyObject } from 'node:crypto';
import type { BrookConfig } from '../config.js';
import { CONFIG_ENV } from '../layout/env.js';
import { openSecret, privateKeyFrom } from './secretSealer.js';

export class SecretOpener {
  private key: Promise<KeyObject> | undefined;

  /** `loadKey` answers the private key (PKCS#8 DER, base64); it is called at first use, and again after a failure. */
  constructor(private readonly loadKey: () => Promise<string>) {}

  async open(sealed: string): Promise<string> {
    this.key ??= this.loadKey().then(privateKeyFrom);
    this.key.catch(() => (this.key = undefined));
    return openSecret(await this.key, sealed);
  }
}

export function secretOpenerFor(config: Pick<BrookConfig, 'secretKey' | 'region'>): SecretOpener {
  const source = config.secretKey;
  if (!source) {
    return new SecretOpener(async () => {
      throw new Error(`webhook secrets need ${CONFIG_ENV.secretKey} or ${CONFIG_ENV.secretKeyParameter}`);
    });
  }
  if ('value' in source) return new SecretOpener(async () => source.value);
  return new SecretOpener(async () => {
    const ssm = new SSMClient({ region: config.region });
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }));
      if (!Parameter?.Value) throw new Error(`the parameter ${source.parameterName} is empty`);
      return Parameter.Value;
    } finally {
      ssm.destroy();
    }
  });
}
