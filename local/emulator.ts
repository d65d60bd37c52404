/**
 * What every emulator of the local stack and the tests has in common: the
 * handle a start returns, and a free port to start on.
 */
import { createServer, type AddressInfo } from 'node:net';

/** An emulator that is up and answering. */
export interface RunningEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops it; resolves once it is gone. Safe to call more than once. */
  stop(): Promise<void>;
  /**
   * Resolves, with what happened, if it stops on its own (killed, crashed)
   * rather than through `stop()`; never resolves otherwise. Absent for parts
   * that cannot end on their own (an emulator inside this process).
   */
  readonly ended?: Promise<string>;
}


/** A port that was free a moment ago (the emulator may still lose a race for it: callers retry). */
export async function getFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}
