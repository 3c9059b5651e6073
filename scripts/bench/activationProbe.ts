// Child process of the startup bench: loads dist/extension.js against a stand-in `vscode` module and
// calls activate(), as the extension host does, then prints one JSON line with what each step took.
// The stand-in has every name the API declares (from @types/vscode); whatever activate() reaches
// through it answers with another stand-in, so only the extension's own work is timed.
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

const [bundle, typesFile] = process.argv.slice(2);

function standIn(): unknown {
  const target = function () {};
  return new Proxy(target, {
    get(t, prop) {
      if (prop === 'then') return undefined; // not a promise
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'prototype') return t.prototype;
      return standIn();
    },
    apply: () => standIn(),
    construct: () => standIn() as object,
  });
}

const declared = [...readFileSync(typesFile, 'utf8').matchAll(/^\texport (?:namespace|class|enum|const|let|function) (\w+)/gm)].map((m) => m[1]);
const vscode = Object.fromEntries(declared.map((name) => [name, standIn()]));
const resolve = (Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })._resolveFilename;
(Module as unknown as { _resolveFilename: typeof resolve })._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };

const loadStarted = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is CommonJS, loaded as the host loads it
const extension = require(path.resolve(bundle)) as { activate(context: unknown): { activationMs: number } };
const loadMs = performance.now() - loadStarted;
const { activationMs } = extension.activate(standIn());
const engineLoaded = Object.keys(cache).filter((k) => /onnxruntime|@huggingface[\\/]tokenizers/.test(k));
// A second copy from a warm file cache and a process that has run it once: what a reload costs.
const file = require.resolve(path.resolve(bundle));
delete cache[file];
const reloadStarted = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy, loaded only to time it
require(file);
const reloadMs = performance.now() - reloadStarted;
process.stdout.write(`${JSON.stringify({ loadMs, reloadMs, activationMs, engineLoaded })}\n`);
