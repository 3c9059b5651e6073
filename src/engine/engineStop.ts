// Why the engine process stopped, for the log, the error of the inspection it took with it, and the
// message the host shows in the user's language.
import { EngineError } from './errors';

/** A crash (a signal or an exit the host did not ask for), or a limit the host ended it for. */
export type EngineStop =
  | { kind: 'crashed'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'memory'; usedMB: number; limitMB: number }
  | { kind: 'timeout'; seconds: number };

/** "signal SIGABRT", "exit code 70", "2100 MB over the limit of 2048 MB", "no progress for 300 s". */
export function describeStop(stop: EngineStop): string {
  switch (stop.kind) {
    case 'crashed':
      return stop.signal ? `signal ${stop.signal}` : `exit code ${stop.code ?? 'unknown'}`;
    case 'memory':
      return `${stop.usedMB} MB over the limit of ${stop.limitMB} MB`;
    case 'timeout':
      return `no progress for ${stop.seconds} s`;
  }
}

/** The error of an inspection whose engine stopped under it. */
export class EngineStopped extends EngineError {
  constructor(readonly stop: EngineStop, readonly restarted: boolean) {
    super('engine-stopped', `The attention engine stopped (${describeStop(stop)})${restarted ? ' and was restarted' : ''}.`, describeStop(stop));
  }
}
