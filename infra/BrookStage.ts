import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from './config.js';
import { BrookStack } from './BrookStack.js';

export interface BrookStageProps extends StageProps {
  readonly config: StageConfig;
}

/** A deployment of Brook for one stage: the stack `brook-<stage>`. */
export class BrookStage extends Stage {
  readonly stack: BrookStack;

  constructor(scope: Construct, id: string, props: BrookStageProps) {
    super(scope, id, props);
    this.stack = new BrookStack(this, 'Brook', {
      stackName: `brook-${props.config.name}`,
      description: `Brook event log (${props.config.name})`,
      config: props.config,
    });
  }
}
