import { existsSync, readdirSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Provider, ProviderAttempt } from '../protocol';
import { EngineError } from './errors';
import { engineSessionOptions } from './graphSession';

const CUDA_MISSING = 'the CUDA provider libraries are not installed (reinstall with --onnxruntime-node-install=cuda12)';

/** GPU providers worth trying on this platform under `auto`, best first; CPU always closes the list. */
export function autoProviders(platform: NodeJS.Platform = process.platform): string[] {
  const wanted = platform === 'win32' ? ['cuda', 'dml', 'webgpu']
    : platform === 'darwin' ? ['coreml', 'webgpu']
      : ['cuda', 'webgpu'];
  return [...wanted, 'cpu'];
}

const VULKAN_MISSING = 'WebGPU needs the Vulkan loader (libvulkan.so.1), which is not installed';

/** On Linux, WebGPU runs over Vulkan; without the loader it only fails noisily, so look first. */
function vulkanAvailable(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib'];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

/** Whether onnxruntime-node can load CUDA here: it ships without the provider libraries unless asked. */
function cudaAvailable(): boolean {
  return ort.listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled) || cudaInstalled();
}

function cudaInstalled(): boolean {
  try {
    // The CUDA provider library sits beside the binding when the install script fetched it.
    const dir = require.resolve('onnxruntime-node').replace(/dist[\\/].*$/, 'bin');
      const walk = (d: string): boolean => readdirSync(d, { withFileTypes: true })
      .some((e) => e.isDirectory() ? walk(`${d}/${e.name}`) : /onnxruntime_providers_cuda/.test(e.name));
    return walk(dir);
  } catch {
    return false;
  }
}

/** The outcome of opening a session: which provider runs it and what was tried first. */
export interface OpenedSession {
  session: ort.InferenceSession;
  provider: string;
  attempts: ProviderAttempt[];
}

/**
 * Opens a session on the requested provider (`auto` falls back through the GPU list to CPU); external
 * data is read from `dataDir`; `options` adds to the engine's session options.
 */
export async function openSession(bytes: Uint8Array, requested: Provider, dataDir?: string,
  options: ort.InferenceSession.SessionOptions = {}): Promise<OpenedSession> {
  const order = requested === 'auto' ? autoProviders() : [requested];
  const attempts: ProviderAttempt[] = [];
  for (const provider of order) {
    // Skip a load that is bound to fail (and to print native errors) when the libraries are absent.
    if (provider === 'cuda' && !cudaAvailable()) {
      attempts.push({ provider, ok: false, reason: CUDA_MISSING });
      continue;
    }
    if (provider === 'webgpu' && !vulkanAvailable()) {
      attempts.push({ provider, ok: false, reason: VULKAN_MISSING });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        ...engineSessionOptions(dataDir),
        ...options,
      });
      attempts.push({ provider, ok: true });
      return { session, provider, attempts };
    } catch (err) {
      attempts.push({ provider, ok: false, reason: firstLine(err) });
    }
  }
  const last = attempts[attempts.length - 1];
  if (requested !== 'auto') {
    throw new EngineError('provider-unavailable',
      `The ${requested} execution provider is not available here (${last?.reason ?? 'unknown reason'}). ` +
      'Choose the "auto" or "cpu" provider instead.', JSON.stringify(attempts));
  }
  throw new EngineError('onnx-invalid', `The model could not be loaded: ${last?.reason ?? 'unknown reason'}`, JSON.stringify(attempts));
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // onnxruntime prefixes messages with source locations; keep the part a person can read.
  const line = text.split('\n')[0];
  const tail = line.match(/(?:was false\.|\] :\s*\d+\s*:\s*\w+\s*:)\s*(.*)$/);
  return (tail?.[1] || line).trim().slice(0, 300);
}
