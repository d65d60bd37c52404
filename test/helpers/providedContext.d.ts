// What test/helpers/globalSetup.ts hands to the integration tests through `inject()`.
declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local (`-inMemory -sharedDb`), e.g. `http://127.0.0.1:41234`. */
    dynamoDbEndpoint: string;
    /** s3rver, e.g. `http://127.0.0.1:41235`. */
    s3Endpoint: string;
  }
}

export {};
