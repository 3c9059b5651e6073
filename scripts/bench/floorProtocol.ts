// Messages between the bench (host thread) and its floor worker; one request in flight at a time.

/** Which graph a floor run uses: the unmodified one, or the surgered one fetching attention only. */
export type FloorGraph = 'bare' | 'raw';

export type FloorRequest =
  | { type: 'open'; modelDir: string }
  | { type: 'prepare'; ids: number[]; typeIds: number[] }
  | { type: 'run'; graph: FloorGraph }
  | { type: 'release' };

export type FloorReply =
  | { type: 'opened'; layers: number }
  | { type: 'prepared' }
  | { type: 'ran'; ms: number; gcMs: number }
  | { type: 'released' }
  | { type: 'failed'; message: string };
