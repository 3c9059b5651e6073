// The platforms a VSIX is built for, and which of onnxruntime-node's native files each one carries.
// onnxruntime-node 1.30.0 ships binaries for linux x64/arm64, win32 x64/arm64 and darwin arm64 in
// bin/napi-v6/<os>/<arch>; it has none for darwin x64 (Intel Macs), so there is no darwin-x64 VSIX.

/** A `vsce package --target` name this project builds. */
export const TARGETS = ['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64', 'darwin-arm64'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface Target {
  name: TargetName;
  /** `process.platform` on that target, the folder name onnxruntime-node uses. */
  os: 'linux' | 'win32' | 'darwin';
  /** `process.arch` on that target. */
  arch: 'x64' | 'arm64';
}

/** The target called `name`, or an error that names the ones there are. */
export function parseTarget(name: string): Target {
  if (!(TARGETS as readonly string[]).includes(name)) {
    const hint = name === 'darwin-x64'
      ? ' onnxruntime-node 1.30.0 publishes no darwin/x64 binary, so Intel Macs cannot be served.'
      : '';
    throw new Error(`unknown target "${name}": choose one of ${TARGETS.join(', ')}.${hint}`);
  }
  const [os, arch] = name.split('-') as [Target['os'], Target['arch']];
  return { name: name as TargetName, os, arch };
}

/** Where a target's native files sit inside the onnxruntime-node package. */
export function runtimeBinFolder(target: Target): string {
  return `bin/napi-v6/${target.os}/${target.arch}`;
}

// CUDA and TensorRT providers (with the shared-provider bridge they load through) are hundreds of
// megabytes and need the NVIDIA runtime: people who want them install them (docs/packaging.md).
const GPU_PLUGIN_PROVIDER = /onnxruntime_providers_(cuda|tensorrt|shared)/i;
// The darwin package carries libonnxruntime twice: the binding links @rpath/libonnxruntime.1.dylib,
// and libonnxruntime.1.30.0.dylib is an identical copy (npm tarballs cannot hold the symlink).
const VERSIONED_DYLIB_COPY = /^libonnxruntime\.\d+\.\d+\.\d+\.dylib$/;

/** Whether `file`, a name in the target's onnxruntime-node bin folder, goes into its VSIX. */
export function shipsRuntimeFile(file: string): boolean {
  return !GPU_PLUGIN_PROVIDER.test(file) && !VERSIONED_DYLIB_COPY.test(file);
}
