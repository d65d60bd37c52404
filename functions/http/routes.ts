/** Moved to functions/layout/routes.ts (runtime-free, shared with the CDK app); kept until its last importers move. */
export * from '../layout/routes.js';
