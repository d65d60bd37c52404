import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles
 * only (an esbuild alias in `infra/constructs/defaults.ts`; tests, the local
 * stack and the CLI keep the full chain). Lambda always hands a function its
 * role's credentials in environment variables, so the rest of the default
 * chain (SSO, INI files, process, web identity, container and instance
 * metadata, with their nested STS/SSO clients) is about 95 KB of bundle and
 * cold-start work that can never be used there.
 */
export function defaultProvider(init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
