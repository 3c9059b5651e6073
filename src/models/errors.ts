// Errors of fetching a model from a Hub, in words the user can act on. The `code` lets the host
// choose a remedy (offer a token prompt, a retry, a different model) without parsing messages.

export type ModelSourceErrorCode =
  | 'bad-id'
  | 'bad-token'
  | 'offline'
  | 'offline-mode'
  | 'server'
  | 'not-found'
  | 'gated'
  | 'unsupported'
  | 'interrupted'
  | 'sha-mismatch'
  | 'disk'
  | 'cancelled';

/** A failure to fetch or cache a Hub model; `detail` carries the technical cause for the log. */
export class ModelSourceError extends Error {
  constructor(
    readonly code: ModelSourceErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ModelSourceError';
  }
}

/** The text of anything thrown, with its cause chain, for `detail`. */
export function describeCause(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (current instanceof Error) {
      const { code, statusCode } = current as { code?: unknown; statusCode?: unknown };
      const tag = typeof code === 'string' ? ` (${code})` : typeof statusCode === 'number' ? ` (HTTP ${statusCode})` : '';
      parts.push(`${current.name}: ${current.message}${tag}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(' <- ');
}
