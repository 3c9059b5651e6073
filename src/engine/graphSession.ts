// Where onnxruntime finds a graph's external data. Sessions are created from bytes (the graph
// after surgery, which never touches the weights), and onnxruntime resolves a graph's external
// data locations relative to a folder it is told about. Given the graph's own folder, the weights
// are read where they lie, even in a read-only model folder, with nothing copied or linked: a
// symbolic link is refused (onnxruntime resolves it and sees the path leave the folder) and a hard
// link works only within one filesystem.
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';

/** Session options that resolve external data locations inside `dataDir` (none when undefined). */
export function externalDataIn(dataDir: string | undefined): ort.InferenceSession.SessionOptions {
  if (!dataDir) return {};
  return { extra: { session: { model_external_initializers_file_folder_path: dataDir } } };
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
