// bert-tiny-random ships no safetensors: its weights are read from its own ONNX export, by the
// module scopes torch.onnx.export names its nodes with (`/encoder/layer.0/attention/self/query/MatMul`)
// and the parameter names it keeps for biases and norms (through the Identity nodes of shared tensors).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { fixture } from './folder';

export interface Linear { weight: Float32Array; dims: number[]; bias: Float32Array }
export interface Norm { weight: Float32Array; bias: Float32Array }
export interface BertLayer { q: Linear; k: Linear; v: Linear; o: Linear; attnNorm: Norm; inter: Linear; out: Linear; outNorm: Norm }
export interface BertWeights {
  word: Float32Array; position: Float32Array; tokenType: Float32Array; vocab: number; positions: number; types: number;
  embedNorm: Norm; layers: BertLayer[];
}

export function readBertWeights(fixtureName: string, layers: number): BertWeights {
  const model = onnx.ModelProto.decode(readFileSync(path.join(fixture(fixtureName), 'onnx', 'model.onnx')));
  const graph = model.graph as onnx.GraphProto;
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  const alias = new Map<string, string>();
  const byName = new Map<string, onnx.NodeProto>();
  for (const n of graph.node as onnx.NodeProto[]) {
    if (n.opType === 'Identity') alias.set(n.output[0], n.input[0]);
    if (n.name) byName.set(n.name, n);
  }
  const tensor = (name: string): onnx.ITensorProto => {
    let t = name;
    while (!inits.has(t) && alias.has(t)) t = alias.get(t)!;
    const found = inits.get(t);
    if (!found) throw new Error(`bert weights: no tensor ${name}`);
    return found;
  };
  const data = (name: string): Float32Array => {
    const t = tensor(name);
    if (t.rawData?.length) return new Float32Array(new Uint8Array(t.rawData).buffer);
    return Float32Array.from(t.floatData ?? []);
  };
  const linear = (scope: string, param: string): Linear => {
    const node = byName.get(`${scope}/MatMul`);
    if (!node) throw new Error(`bert weights: no node ${scope}/MatMul`);
    const w = tensor(node.input[1]);
    return { weight: data(node.input[1]), dims: (w.dims ?? []).map(Number), bias: data(`${param}.bias`) };
  };
  const norm = (param: string): Norm => ({ weight: data(`${param}.weight`), bias: data(`${param}.bias`) });
  const dims = (name: string) => (tensor(name).dims ?? []).map(Number);
  return {
    word: data('embeddings.word_embeddings.weight'), position: data('embeddings.position_embeddings.weight'),
    tokenType: data('embeddings.token_type_embeddings.weight'),
    vocab: dims('embeddings.word_embeddings.weight')[0], positions: dims('embeddings.position_embeddings.weight')[0],
    types: dims('embeddings.token_type_embeddings.weight')[0],
    embedNorm: norm('embeddings.LayerNorm'),
    layers: Array.from({ length: layers }, (_, l) => {
      const s = `/encoder/layer.${l}`;
      const p = `encoder.layer.${l}`;
      return {
        q: linear(`${s}/attention/self/query`, `${p}.attention.self.query`),
        k: linear(`${s}/attention/self/key`, `${p}.attention.self.key`),
        v: linear(`${s}/attention/self/value`, `${p}.attention.self.value`),
        o: linear(`${s}/attention/output/dense`, `${p}.attention.output.dense`),
        attnNorm: norm(`${p}.attention.output.LayerNorm`),
        inter: linear(`${s}/intermediate/dense`, `${p}.intermediate.dense`),
        out: linear(`${s}/output/dense`, `${p}.output.dense`),
        outNorm: norm(`${p}.output.LayerNorm`),
      };
    }),
  };
}
