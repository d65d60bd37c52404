/** Moved to functions/layout/tables.ts (runtime-free, shared with the CDK app); kept until its last importers move. */
export * from '../layout/tables.js';
