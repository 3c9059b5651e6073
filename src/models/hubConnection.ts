// One conversation with a Hub endpoint: the fetch every @huggingface/hub call goes through, and the
// translation of what went wrong into a ModelSourceError. The library's HubApiError keeps only the
// status; the reason (gated, missing repo, missing revision) is in the `X-Error-Code` header, so
// the fetch here remembers it.
import { HubApiError } from '@huggingface/hub';
import { describeCause, ModelSourceError } from './errors';
import type { HubId } from './hubId';

interface FailedAnswer {
  status: number;
  errorCode?: string;
  url: string;
}

/** An endpoint, its credentials, and the fetch that carries the cancel signal to every request. */
export interface HubConnection {
  endpoint: string;
  accessToken?: string;
  signal?: AbortSignal;
  fetch: typeof fetch;
  lastFailure?: FailedAnswer;
}

/** Opens a connection description (no request is made); validates the token's shape first. */
export function connectToHub(endpoint: string, token: string | undefined, signal?: AbortSignal): HubConnection {
  const accessToken = token?.trim() || undefined;
  // @huggingface/hub refuses tokens without the `hf_` prefix with a bare TypeError; say it in words.
  if (accessToken !== undefined && !accessToken.startsWith('hf_')) {
    throw new ModelSourceError('bad-token', 'The Hugging Face token (HF_TOKEN) looks wrong: access tokens start with "hf_".');
  }
  const connection: HubConnection = {
    endpoint: endpoint.replace(/\/+$/, ''),
    accessToken,
    signal,
    fetch: async (input, init) => {
      signal?.throwIfAborted();
      const response = await fetch(input, { ...init, signal });
      if (!response.ok) {
        connection.lastFailure = {
          status: response.status,
          errorCode: response.headers.get('X-Error-Code') ?? undefined,
          url: response.url,
        };
      }
      return response;
    },
  };
  return connection;
}

const DISK_CODES = new Set(['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EDQUOT', 'EMFILE', 'ENAMETOOLONG']);

/** Where in the download an error happened: before any file (reaching the Hub) or during one. */
export type Stage = { stage: 'connect' } | { stage: 'transfer'; file: string };

/** Turns anything a Hub call threw into a ModelSourceError that says what to do about it. */
export function explainFailure(err: unknown, id: HubId, connection: HubConnection, where: Stage): ModelSourceError {
  if (err instanceof ModelSourceError) return err;
  const detail = describeCause(err);
  const { endpoint } = connection;
  if (connection.signal?.aborted) {
    return new ModelSourceError('cancelled', `The download of ${id.repo} was cancelled.`, detail);
  }
  const fsCode = (err as { code?: unknown })?.code;
  if (typeof fsCode === 'string' && DISK_CODES.has(fsCode)) {
    return new ModelSourceError('disk', `Could not save ${id.repo} to disk: ${(err as Error).message}`, detail);
  }
  if (err instanceof HubApiError) return explainStatus(err.statusCode, id, connection, detail);
  if (where.stage === 'transfer') {
    return new ModelSourceError(
      'interrupted',
      `The download of ${where.file} from ${endpoint} was interrupted; nothing was kept. Try again.`,
      detail,
    );
  }
  if (err instanceof TypeError) {
    // undici reports refused connections, DNS failures and timeouts as TypeError('fetch failed').
    return new ModelSourceError('offline', `Cannot reach ${endpoint}; check your connection or HF_ENDPOINT.`, detail);
  }
  return new ModelSourceError('server', `${endpoint} answered in a way Attention Lens does not understand.`, detail);
}

function explainStatus(status: number, id: HubId, connection: HubConnection, detail: string): ModelSourceError {
  const { endpoint, accessToken } = connection;
  const code = connection.lastFailure?.status === status ? connection.lastFailure.errorCode : undefined;
  if (code === 'RevisionNotFound') {
    return new ModelSourceError('not-found', `${id.repo} has no revision "${id.revision}" on ${endpoint}.`, detail);
  }
  if (code === 'EntryNotFound') {
    return new ModelSourceError('not-found', `A file of ${id.repo}@${id.revision} is missing on ${endpoint}.`, detail);
  }
  if (code === 'RepoNotFound' || (status === 404 && code !== 'GatedRepo')) {
    // The Hub answers the same for a private repo as for a missing one when no token is sent.
    const hint = accessToken ? '' : ' If it is private, set a token (HF_TOKEN).';
    return new ModelSourceError('not-found', `${id.repo} was not found on ${endpoint}; check the name.${hint}`, detail);
  }
  if (status === 401 || status === 403) {
    return accessToken
      ? new ModelSourceError(
          'gated',
          `The token was refused for ${id.repo}: accept its licence on the Hub with the account the token belongs to, or check the token.`,
          detail,
        )
      : new ModelSourceError('gated', `This model is gated: accept its licence on the Hub and set a token (HF_TOKEN).`, detail);
  }
  if (status === 429) {
    return new ModelSourceError('server', `${endpoint} is limiting requests; try again in a few minutes.`, detail);
  }
  return new ModelSourceError('server', `${endpoint} answered ${status} for ${id.repo}; try again later.`, detail);
}
