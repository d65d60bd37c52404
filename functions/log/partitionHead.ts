/**
 * Moved: the HEAD key layout to functions/layout/tables.ts, the bulk HEAD
 * reads to functions/storage/partitionHeads.ts. Kept until its last importers move.
 */
export { HEAD_SORT_KEY, logPartitionKey, type HeadItem } from '../layout/tables.js';
export { readHeadsOf, readPartitionHeads } from '../storage/partitionHeads.js';
