import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { TableName } from '../../functions/layout/tables.js';
import { tableAccess, type DataAccess, type FunctionAccess } from '../functionAccess.js';

/** Turns a row of `FUNCTION_ACCESS` into `grant*` calls on the tables and the bucket. */
export function grantDataAccess(
  grantee: IGrantable,
  access: FunctionAccess,
  tables: Readonly<Record<TableName, ITable>>,
  bucket: IBucket,
): void {
  for (const [name, level] of Object.entries(tableAccess(access)) as [TableName, DataAccess][]) {
    if (level === 'read') tables[name].grantReadData(grantee);
    if (level === 'readWrite') tables[name].grantReadWriteData(grantee);
  }
  if (access.bucket === 'read') bucket.grantRead(grantee);
  if (access.bucket === 'readWrite') bucket.grantReadWrite(grantee);
}
