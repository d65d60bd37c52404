/**
 * Wake-ups after a delay: a failed batch's retry, a batching window that
 * ends. They never depend on more appends to the topic. In AWS a Step
 * Functions Express workflow waits and then invokes the dispatcher
 * (docs/subscriptions.md, "Why Step Functions"); on the local stack a timer
 * in the process does. A lost wake-up only delays delivery until the next
 * append or sweep: the delivery item, not the wake-up, holds what is due.
 */
import { randomUUID } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WakeEvent, WakeExecutionInput } from './dispatchEvents.js';

export interface Wakeups {
  /** Asks for `wake` to be run after `delayMs`. */
  schedule(wake: WakeEvent['wake'], delayMs: number): Promise<void>;
  /** Cancels what is pending, where wake-ups live in this process. */
  stop?(): void;
}

/** A Step Functions Express workflow waits at most 5 minutes; longer waits are cut into steps. */
export const MAX_WAIT_SECONDS = 290;

/** The AWS wake-ups: one execution of the wake state machine per wake-up. */
export class StateMachineWakeups implements Wakeups {
  /** Made at first use: most runs deliver without asking for a wake-up. */
  private sfn: SFNClient | undefined;

  constructor(
    private readonly stateMachineArn: string,
    private readonly region: string,
  ) {}

  async schedule(wake: WakeEvent['wake'], delayMs: number): Promise<void> {
    const input: WakeExecutionInput = { waitSeconds: Math.min(MAX_WAIT_SECONDS, Math.max(0, Math.ceil(delayMs / 1000))), event: { wake } };
    this.sfn ??= new SFNClient({ region: this.region });
    await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: randomUUID(), input: JSON.stringify(input) }));
  }
}

/** The local wake-ups: timers in this process, one per partition (a later request replaces an earlier one). */
export class TimerWakeups implements Wakeups {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly run: (wake: WakeEvent['wake']) => Promise<void>) {}

  async schedule(wake: WakeEvent['wake'], delayMs: number): Promise<void> {
    if (this.stopped) return;
    const key = `${wake.subscription}#${wake.partition}`;
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.run(wake).catch(() => undefined);
    }, Math.max(0, delayMs));
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Cancels every pending wake-up (the local stack stopping). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
