/**
 * The house's import boundaries, checked by `npm run lint:deps` and by
 * test/unit/boundaries.test.ts (part of `npm test`):
 *
 *   protocol/  the contract's shapes, shared by all: imports nothing of ours
 *   sdk/       a client of the HTTP API: imports protocol/ only
 *   cli/       the command line on the SDK: never the server side
 *   console/   the web UI (a client of the HTTP API in the browser): imports protocol/ only
 *   infra/     the CDK app: reads plain data of functions/ (layouts, names),
 *              never a Lambda runtime module (AWS SDK, middy, Powertools)
 *   functions/ no import cycles (module level here; folder level in the test)
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-nothing-of-ours',
      comment: 'protocol/ is the bottom floor: server, SDK and CLI share it, so it depends on none of them.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(functions|sdk|cli|console|local|infra|bench|scripts|test)/' },
    },
    {
      name: 'sdk-is-a-client',
      comment: 'The SDK speaks HTTP to Brook; it never loads server, local-stack or CDK code.',
      severity: 'error',
      from: { path: '^sdk/' },
      to: { path: '^(functions|local|infra|cli)/' },
    },
    {
      name: 'cli-is-a-client',
      comment: 'The CLI is built on the SDK; it never loads server, local-stack or CDK code.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^(functions|local|infra)/' },
    },
    {
      name: 'console-is-a-client',
      comment: 'The console runs in a browser and speaks HTTP to Brook: of ours it imports protocol/ only.',
      severity: 'error',
      from: { path: '^console/' },
      to: { path: '^(functions|sdk|cli|local|infra|bench|scripts|test)/' },
    },
    {
      name: 'infra-loads-no-lambda-runtime',
      comment: 'The CDK app may read plain data of functions/ (layouts, names), but nothing that loads a Lambda runtime library.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: 'node_modules/(@aws-sdk|@smithy|@middy|@aws-lambda-powertools)/', reachable: true },
    },
    {
      name: 'no-circular',
      comment: 'Modules that import each other in a loop cannot be understood (or loaded) one at a time.',
      severity: 'error',
      from: { path: '^(functions|protocol|sdk|cli|console|local|infra)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '(^|/)(dist|cdk\\.out|docs/api)/' },
  },
};
