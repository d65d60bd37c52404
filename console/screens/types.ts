/** The shapes of the API answers the group, subscription and key screens read (docs/http.md). */
export interface GroupSummary {
  group: string;
  state: string;
  members: number;
}

export interface GroupDescription {
  group: string;
  state: string;
  generation: number;
  members: { memberId: string; clientId: string | null; instanceId: string | null; assignment: { topic: string; partitions: number[] }[]; expiresAt: number }[];
  offsets: { topic: string; partition: number; offset: number; metadata: string | null; highWatermark: number; lag: number }[];
}

export interface SubscriptionPartition {
  partition: number;
  position: number;
  highWatermark: number;
  lag: number;
  attempts: number;
  lastError: string | null;
  lastDeliveredAt: number | null;
  parked: number;
  dropped: number;
}

export interface Subscription {
  name: string;
  topic: string;
  state: 'active' | 'paused';
  target: { type: 'http'; url: string } | { type: 'lambda'; functionArn: string };
  batchSize: number;
  maxRetries: number;
  onFailure: { topic: string } | null;
  createdAt: number;
  partitions?: SubscriptionPartition[];
}

export interface ApiKey {
  keyId: string;
  principal: string;
  permissions: { resource: string; operations: string[] }[];
  expiresAt: number | null;
  createdAt: number;
}
