// Runs the notebook helper (python/attention_lens) from the source folder with the system Python and
// numpy, as a person's kernel would import it: the tests feed it a script and read what it wrote.
import { execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './paths';

/** The interpreter: $PYTHON, else Debian's (with python3-numpy). */
export const python = process.env.PYTHON ?? '/usr/bin/python3';

/** Whether the interpreter runs and imports numpy, which the helper needs. */
export function pythonHasNumpy(): boolean {
  return spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}

/** Runs `script` with `args` as sys.argv[1:] and the helper importable; resolves with its stdout. */
export function runPython(script: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-c', script, ...args],
      { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'python') }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`${python} failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/**
 * Writes a saved notebook (nbformat 4) at `notebook` whose one code cell shows the helper's output for
 * `source` (Python that leaves the AttentionView in `view`), as Jupyter saves an executed cell.
 */
export async function writeNotebook(notebook: string, source: string, ...args: string[]): Promise<void> {
  const script = `${source}
import json, sys
bundle = view._repr_mimebundle_()
cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ${JSON.stringify(source.trim())}.splitlines(True),
        "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": bundle}]}
nb = {"nbformat": 4, "nbformat_minor": 5, "cells": [cell],
      "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}}
with open(${JSON.stringify(notebook)}, "w", encoding="utf-8") as f:
    json.dump(nb, f)
`;
  await runPython(script, ...args);
}
