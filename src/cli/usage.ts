/** A command line the CLI cannot follow: shown with the usage text, exit status 2. */
export class UsageError extends Error {}
