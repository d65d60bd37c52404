import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/config.js';
import { bucketProps, type BucketStageSettings } from './defaults.js';

export type SegmentBucketProps = BucketStageSettings;

/** The S3 bucket that holds log segments tiered out of DynamoDB. */
export class SegmentBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: SegmentBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', bucketProps(props));
  }

  /** `BROOK_BUCKET`, naming the bucket. */
  environment(): Record<string, string> {
    return { [CONFIG_ENV.bucket]: this.bucket.bucketName };
  }
}
