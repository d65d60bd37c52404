import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/layout/env.js';
import { accessLogBucketProps, bucketProps, type AccessLogBucketStageSettings, type BucketStageSettings } from './defaults.js';

export type SegmentBucketProps = BucketStageSettings & AccessLogBucketStageSettings;

/** Where S3 writes the segment bucket's access logs, inside the log bucket. */
export const ACCESS_LOG_PREFIX = 'segment-bucket/';

/**
 * The S3 bucket that holds log segments tiered out of DynamoDB, and the
 * bucket its server access logs go to (who read or wrote which object, for
 * audits and incident reviews).
 */
export class SegmentBucket extends Construct {
  readonly bucket: Bucket;
  /** The server access logs of `bucket`. */
  readonly accessLogBucket: Bucket;

  constructor(scope: Construct, id: string, props: SegmentBucketProps) {
    super(scope, id);
    // S3 log delivery is allowed by a bucket policy (service principal, scoped to the segment bucket),
    // not by the LogDeliveryWrite ACL that new buckets refuse; set here so any app embedding Brook gets it.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.accessLogBucket = new Bucket(this, 'AccessLogs', accessLogBucketProps(props));
    this.bucket = new Bucket(this, 'Bucket', {
      ...bucketProps(props),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIX,
    });
  }

  /** `BROOK_BUCKET`, naming the bucket. */
  environment(): Record<string, string> {
    return { [CONFIG_ENV.bucket]: this.bucket.bucketName };
  }
}
