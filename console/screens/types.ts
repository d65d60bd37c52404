/** The shapes of the API answers the group, subscription and key screens read: the contract's own (protocol/types.ts). */
import type { SubscriptionDescription } from '../../protocol/types.js';

export type { ApiKey, CreatedSubscription, GroupDescription, GroupSummary, OffsetReset, ResetTarget, SubscriptionPartition } from '../../protocol/types.js';

/** A subscription as listed (settings only) or described (with its partitions). */
export type Subscription = Omit<SubscriptionDescription, 'partitions'> & { partitions?: SubscriptionDescription['partitions'] };
