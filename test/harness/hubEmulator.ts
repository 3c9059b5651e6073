// The local Hub emulator (test/hub/server.ts) for suites that run code-server. It runs inside the
// harness process; code-server gets its URL as HF_ENDPOINT, and the extension host inherits
// code-server's environment, so every download the extension makes goes to the emulator.
import { HubEmulator } from '../hub/server';

export { EMULATOR_TOKEN, GATED_REPO } from '../hub/server';

export interface RunningHub {
  emulator: HubEmulator;
  /** Environment for CodeServer.start: the emulator's URL, and no token from the caller's shell. */
  env: Record<string, string>;
}

/** Starts the emulator on a free port. */
export async function startHubEmulator(): Promise<RunningHub> {
  const emulator = await HubEmulator.start();
  // An HF_TOKEN inherited from the person running the tests would open the gated fixture repo
  // and hide the "needs a token" message the suite checks; empty means "no token".
  return { emulator, env: { HF_ENDPOINT: emulator.url, HF_TOKEN: '' } };
}
