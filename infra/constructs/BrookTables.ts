import { ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/layout/env.js';
import { TABLE_LAYOUTS, type TableLayout, type TableName } from '../../functions/layout/tables.js';
import { keyAttribute, tableProps, type TableStageSettings } from './defaults.js';

/** The environment variable that carries each table's name to the handlers. */
export const TABLE_ENV: Readonly<Record<TableName, string>> = {
  log: CONFIG_ENV.logTable,
  topics: CONFIG_ENV.topicsTable,
  groups: CONFIG_ENV.groupsTable,
  keys: CONFIG_ENV.keysTable,
  subscriptions: CONFIG_ENV.subscriptionsTable,
};

export interface BrookTablesProps extends TableStageSettings {
  /** @default TABLE_LAYOUTS, the layout the handlers and the local stack use */
  readonly layouts?: Readonly<Record<TableName, TableLayout>>;
}

/**
 * Brook's DynamoDB tables, one per entry of `TABLE_LAYOUTS`, with their TTL
 * attributes and global secondary indexes. Names are left to CloudFormation
 * and reach the handlers through `TABLE_ENV`.
 */
export class BrookTables extends Construct {
  readonly tables: Readonly<Record<TableName, Table>>;

  constructor(scope: Construct, id: string, props: BrookTablesProps) {
    super(scope, id);
    const layouts = props.layouts ?? TABLE_LAYOUTS;
    const build = (name: TableName): Table => {
      const layout = layouts[name];
      const table = new Table(this, constructId(name), tableProps(layout, props));
      for (const index of layout.globalSecondaryIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: keyAttribute(index.partitionKey),
          projectionType: ProjectionType.ALL,
        });
      }
      return table;
    };
    this.tables = {
      log: build('log'),
      topics: build('topics'),
      groups: build('groups'),
      keys: build('keys'),
      subscriptions: build('subscriptions'),
    };
  }

  /** `BROOK_*_TABLE` variables naming every table. */
  environment(): Record<string, string> {
    const names = Object.keys(TABLE_ENV) as TableName[];
    return Object.fromEntries(names.map((name) => [TABLE_ENV[name], this.tables[name].tableName]));
  }
}

function constructId(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
