import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, StateMachine, StateMachineType, TaskInput, Wait, WaitTime } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvocationType, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface WakeStateMachineProps {
  /** The state machine's name; its ARN is known from it before it exists (see `wakeStateMachineArn`). */
  readonly stateMachineName: string;
  /** The function it wakes. */
  readonly dispatcher: IFunction;
}

/**
 * The ARN of the state machine named `stateMachineName` in `scope`'s stack.
 * The dispatcher gets the ARN from this rather than from the state machine,
 * which invokes the dispatcher: a reference each way would be a cycle.
 */
export function wakeStateMachineArn(scope: Construct, stateMachineName: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The dispatcher's timer: a Step Functions Express workflow that waits
 * `waitSeconds` and then invokes the dispatcher with `event`, asynchronously
 * (input `WakeExecutionInput`, functions/subscriptions/dispatchEvents.ts).
 * The dispatcher starts one execution per wake-up it needs (a retry's
 * backoff, a batching window that ends). Waits are to the second, and an
 * idle workflow costs nothing; docs/deploy.md ("Why Step Functions for retry
 * timers") weighs it against EventBridge Scheduler and an SQS delay queue.
 * No execution logs: the dispatcher logs what it does when woken, and a lost
 * wake-up only delays delivery to the next append or sweep.
 */
export class WakeStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: WakeStateMachineProps) {
    super(scope, id);
    const wait = new Wait(this, 'Wait', { time: WaitTime.secondsPath('$.waitSeconds') });
    const wake = new LambdaInvoke(this, 'WakeDispatcher', {
      lambdaFunction: props.dispatcher,
      payload: TaskInput.fromJsonPathAt('$.event'),
      // Event: the execution ends once Lambda has queued the invocation, so a
      // dispatcher run (minutes) never counts against the workflow's 5 minutes.
      invocationType: LambdaInvocationType.EVENT,
      // A few quick retries of the Invoke call only (CDK's default six, doubling from 2 s, could outlast the 5 minutes).
      retryOnServiceExceptions: false,
    });
    wake.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
      interval: Duration.seconds(1),
      maxAttempts: 3,
      backoffRate: 2,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(wait.next(wake)),
      // Express workflows run at most 5 minutes; the dispatcher never asks for a longer wait (MAX_WAIT_SECONDS).
      timeout: Duration.minutes(5),
    });
  }
}
