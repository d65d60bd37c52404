/**
 * An SSM SecureString parameter that a CloudFormation custom resource makes
 * (CloudFormation cannot write one): the admin key, the secret key that
 * seals webhook secrets. A standard parameter costs nothing a month, where a
 * Secrets Manager secret costs $0.40 whether used or not.
 */
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

/** Reads, creates and deletes SecureString parameters. */
export interface SecureParameter {
  /** The value, or `undefined` when there is no such parameter. */
  read(name: string): Promise<string | undefined>;
  /** Writes a new parameter; `false` when one already exists (another run made it). */
  create(name: string, value: string): Promise<boolean>;
  /** Deletes it; a parameter that is not there is fine. */
  delete(name: string): Promise<void>;
}

/** `SecureParameter` over SSM, encrypted with the account's `aws/ssm` key; `description` goes on every parameter it creates. */
export function ssmSecureParameter(ssm: SSMClient, description: string): SecureParameter {
  const named = (error: unknown, name: string) => (error as { name?: string } | undefined)?.name === name;
  return {
    async read(name) {
      try {
        const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
        return Parameter?.Value;
      } catch (error) {
        if (named(error, 'ParameterNotFound')) return undefined;
        throw error;
      }
    },
    async create(name, value) {
      try {
        await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: false, Description: description }));
        return true;
      } catch (error) {
        if (named(error, 'ParameterAlreadyExists')) return false;
        throw error;
      }
    },
    async delete(name) {
      try {
        await ssm.send(new DeleteParameterCommand({ Name: name }));
      } catch (error) {
        if (!named(error, 'ParameterNotFound')) throw error;
      }
    },
  };
}

/** The value in the parameter, made with `make` (once, whatever runs race) when there is none. */
export async function readOrCreate(parameter: SecureParameter, name: string, make: () => string): Promise<string> {
  const existing = await parameter.read(name);
  if (existing !== undefined) return existing;
  const made = make();
  if (await parameter.create(name, made)) return made;
  const winner = await parameter.read(name);
  if (winner === undefined) throw new Error(`the parameter ${name} exists but cannot be read`);
  return winner;
}
