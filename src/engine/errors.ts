import type { EngineErrorCode } from '../protocol';

/** An error the engine reports in the user's words; `detail` carries the technical cause. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Wraps anything thrown into an EngineError, keeping the original text as detail. */
export function toEngineError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const first = err instanceof Error ? err.message : String(err);
  return new EngineError('internal', `Attention Lens hit an unexpected problem: ${first.split('\n')[0]}`, detail);
}

/** Throws the 'cancelled' error once `signal` has been aborted: checked between the steps of an inspection. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'The inspection was superseded by a newer one.');
}
