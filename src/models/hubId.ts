// A model on a Hub, named the way people write it: `owner/name` or `owner/name@revision`.
import { ModelSourceError } from './errors';

/** A parsed Hub model id. */
export interface HubId {
  owner: string;
  name: string;
  /** `owner/name`, as the Hub API wants it. */
  repo: string;
  /** Branch, tag or commit; `main` when none was written. */
  revision: string;
  /** Whether the text named a revision (removing a model without one removes every revision). */
  revisionGiven: boolean;
}

export const DEFAULT_REVISION = 'main';

// The Hub's own rule for owner and repo names: letters, digits, `_`, `-`, `.`; no `--` or `..`;
// `-` and `.` neither first nor last; at most 96 characters. Keeping `--` out is also what makes
// the cache folder name `<owner>--<name>` unambiguous.
const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
// Git ref names are broad; this keeps the ones the Hub uses (branches, tags, `refs/pr/N`, commit
// hashes) and refuses anything that could climb out of a cache folder.
const REVISION = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

const EXAMPLE = 'write it as owner/name or owner/name@revision, e.g. raincandy-u/TinyStories-656K@main';

function badId(text: string, why: string): ModelSourceError {
  return new ModelSourceError('bad-id', `"${text}" is not a Hugging Face model id: ${why}; ${EXAMPLE}.`);
}

function checkName(text: string, part: string, what: string): void {
  if (part.length === 0) throw badId(text, `the ${what} is empty`);
  if (part.length > 96) throw badId(text, `the ${what} is longer than 96 characters`);
  if (!NAME.test(part) || part.includes('--') || part.includes('..')) {
    throw badId(text, `the ${what} "${part}" may only use letters, digits, "_", "-" and "." (no "--" or "..", no "-" or "." at either end)`);
  }
}

/** Parses `owner/name[@revision]`, throwing a `bad-id` ModelSourceError that says what is wrong. */
export function parseHubId(text: string): HubId {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw badId(text, 'it is empty');
  const at = trimmed.indexOf('@');
  const repoPart = at < 0 ? trimmed : trimmed.slice(0, at);
  const revisionPart = at < 0 ? undefined : trimmed.slice(at + 1);
  const pieces = repoPart.split('/');
  if (pieces.length !== 2) {
    throw badId(text, pieces.length < 2 ? 'the owner is missing' : 'it has more than one "/" before the revision');
  }
  const [owner, name] = pieces;
  checkName(text, owner, 'owner');
  checkName(text, name, 'name');
  if (revisionPart !== undefined) {
    if (revisionPart.length === 0) throw badId(text, 'the revision after "@" is empty');
    if (
      revisionPart.length > 255 ||
      !REVISION.test(revisionPart) ||
      revisionPart.includes('..') ||
      revisionPart.includes('//') ||
      revisionPart.endsWith('/')
    ) {
      throw badId(text, `the revision "${revisionPart}" is not a branch, tag or commit name`);
    }
  }
  return {
    owner,
    name,
    repo: `${owner}/${name}`,
    revision: revisionPart ?? DEFAULT_REVISION,
    revisionGiven: revisionPart !== undefined,
  };
}

/** `owner/name@revision`, the canonical text of an id. */
export function formatHubId(id: HubId): string {
  return `${id.repo}@${id.revision}`;
}

/** The cache folder name of a repo: `<owner>--<name>` (the Hub forbids `--` inside names). */
export function repoFolderName(id: Pick<HubId, 'owner' | 'name'>): string {
  return `${id.owner}--${id.name}`;
}

/** The cache folder name of a revision; `/` (as in `refs/pr/1`) is escaped to stay one folder. */
export function revisionFolderName(revision: string): string {
  return encodeURIComponent(revision);
}
