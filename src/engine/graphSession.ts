// Where onnxruntime finds a graph's external data. Sessions are created from bytes (the graph
// after surgery, which never touches the weights), and onnxruntime resolves a graph's external
// data locations relative to a folder it is told about. Given the graph's own folder, the weights
// are read where they lie, even in a read-only model folder, with nothing copied or linked: a
// symbolic link is refused (onnxruntime resolves it and sees the path leave the folder) and a hard
// link works only within one filesystem.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';

/** Session options that resolve external data locations inside `dataDir` (none when undefined). */
export function externalDataIn(dataDir: string | undefined): ort.InferenceSession.SessionOptions {
  if (!dataDir) return {};
  return { extra: { session: { model_external_initializers_file_folder_path: dataDir } } };
}

/**
 * The engine's session options beyond the provider. Prepacking (a second, kernel-shaped copy of
 * every weight made at load) is off: on a Qwen2.5-0.5B-shaped model it took 4 of 6 s of loading and
 * 0.5 GB of peak memory, for 512-token runs within 10 % either way (npm run bench -- --loading).
 * A session's threads stop spinning when its run ends: a staged graph runs one session after
 * another, and threads still spinning for the last one would take cores from the next.
 */
export function engineSessionOptions(dataDir: string | undefined): ort.InferenceSession.SessionOptions {
  return { extra: { session: { disable_prepacking: '1', force_spinning_stop: '1', ...(dataDir ? { model_external_initializers_file_folder_path: dataDir } : {}) } } };
}

/** The external data files a graph's initializers name, in first-use order (relative to the graph's folder). */
export function externalDataFiles(model: onnx.IModelProto): string[] {
  const files = new Set<string>();
  const visit = (graph: onnx.IGraphProto | null | undefined): void => {
    for (const tensor of graph?.initializer ?? []) {
      if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const location = tensor.externalData?.find((e) => e.key === 'location')?.value;
      if (location) files.add(location);
    }
    for (const node of graph?.node ?? []) {
      for (const attr of node.attribute ?? []) {
        visit(attr.g);
        for (const sub of attr.graphs ?? []) visit(sub);
      }
    }
  };
  visit(model.graph);
  return [...files];
}

/**
 * The graph and data folder to give onnxruntime. It resolves links and refuses any that leave the
 * folder, yet Hub caches keep files as links into a blob store: the data folder becomes the real
 * folder the files share, and the graph's locations are rewritten relative to it (re-encoding only
 * the graph's structure). Graphs whose files are plain files are passed through untouched. Give it
 * the graph before surgery: protobufjs keeps only the last copy of a repeated embedded message.
 */
export function resolveDataLinks(bytes: Uint8Array, dataDir: string, files: string[]): { bytes: Uint8Array; dataDir: string } {
  const realDir = realpathSync(dataDir);
  const real = new Map(files.map((f) => [f, realpathSync(path.join(dataDir, f))]));
  if ([...real].every(([f, r]) => r === path.join(realDir, f))) return { bytes, dataDir: realDir };
  const common = commonFolder([...real.values()]);
  const model = onnx.ModelProto.decode(bytes);
  const rewrite = (graph: onnx.IGraphProto | null | undefined): void => {
    for (const tensor of graph?.initializer ?? []) {
      for (const entry of tensor.externalData ?? []) {
        const target = entry.key === 'location' && entry.value ? real.get(entry.value) : undefined;
        if (target) entry.value = path.relative(common, target).split(path.sep).join('/');
      }
    }
    for (const node of graph?.node ?? []) for (const attr of node.attribute ?? []) [attr.g, ...(attr.graphs ?? [])].forEach(rewrite);
  };
  rewrite(model.graph);
  return { bytes: onnx.ModelProto.encode(model).finish(), dataDir: common };
}

function commonFolder(files: string[]): string {
  let common = path.dirname(files[0]);
  while (!files.every((f) => f.startsWith(common + path.sep))) common = path.dirname(common);
  return common;
}
