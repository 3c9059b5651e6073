import * as ort from 'onnxruntime-node';
import { EngineError } from './errors';
import type { ModelConfig } from './modelFolder';
import type { GraphInput } from './surgery';

// ONNX TensorProto.DataType values the engine feeds.
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const FLOAT16 = 10;

/** A KV cache to continue from: how many positions it holds, and the tensors for the graph's past inputs. */
export interface PastFeeds {
  length: number;
  /** By past input name (`past_key_values.N.key`, …): the previous step's presents. */
  tensors: Record<string, ort.Tensor>;
}

/**
 * Builds the feeds a graph declares, by input name, for one sequence: `ids` are the new tokens,
 * after `past` cached positions when given (generation), else from position 0 with an empty cache.
 */
export function buildFeeds(inputs: GraphInput[], ids: number[], typeIds: number[], config: ModelConfig, past?: PastFeeds): Record<string, ort.Tensor> {
  const T = ids.length;
  const before = past?.length ?? 0;
  const total = before + T;
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const name = input.name;
    if (name === 'input_ids') feeds[name] = intTensor(input, ids);
    // The mask covers the cached positions and the new ones; positions go on from the cache's end.
    else if (name === 'attention_mask') feeds[name] = onesTensor(input, total);
    else if (name === 'position_ids') feeds[name] = intTensor(input, ids.map((_, i) => before + i));
    else if (name === 'token_type_ids') feeds[name] = intTensor(input, typeIds.length === T ? typeIds : new Array<number>(T).fill(0));
    else if (name.startsWith('past_key_values') || name.startsWith('past_key') || name.startsWith('past_value')) feeds[name] = past?.tensors[name] ?? emptyPast(input, config);
    // Merged decoders take the cache branch only when there is a cache to read.
    else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [before > 0], [1]);
    // GroupQueryAttention graphs that take these as inputs: the last key index per row, and the total length.
    else if (name === 'seqlens_k') feeds[name] = new ort.Tensor('int32', Int32Array.of(total - 1), [1]);
    else if (name === 'total_sequence_length') feeds[name] = new ort.Tensor('int32', Int32Array.of(total), []);
    else {
      throw new EngineError('onnx-invalid',
        `The model expects an input named "${name}", which Attention Lens does not know how to fill.`,
        `declared inputs: ${inputs.map((i) => i.name).join(', ')}`);
    }
  }
  return feeds;
}

function intTensor(input: GraphInput, values: number[]): ort.Tensor {
  const dims = [1, values.length];
  if (input.elemType === INT32) return new ort.Tensor('int32', Int32Array.from(values), dims);
  if (input.elemType === INT64 || input.elemType === 0) {
    const data = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
    return new ort.Tensor('int64', data, dims);
  }
  throw new EngineError('onnx-invalid', `The model's input "${input.name}" has an unsupported element type (${input.elemType}).`);
}

// [1, length] of ones, filled as the typed array it is: a generated token's mask covers every
// position so far, and converting each one from a number is most of what building its feeds costs.
function onesTensor(input: GraphInput, length: number): ort.Tensor {
  const dims = [1, length];
  if (input.elemType === INT32) return new ort.Tensor('int32', new Int32Array(length).fill(1), dims);
  if (input.elemType === INT64 || input.elemType === 0) return new ort.Tensor('int64', new BigInt64Array(length).fill(1n), dims);
  return intTensor(input, []); // refuses the element type in the words every int input uses
}

// A KV-cache input of length 0: the graph then behaves as a plain full-sequence pass.
function emptyPast(input: GraphInput, config: ModelConfig): ort.Tensor {
  const heads = config.num_key_value_heads ?? config.num_attention_heads ?? config.n_head;
  const hidden = config.hidden_size ?? config.n_embd;
  const headDim = config.head_dim ?? (hidden && config.num_attention_heads ? hidden / config.num_attention_heads : undefined);
  const dims = input.dims.map((d, i) => {
    if (typeof d === 'number' && d >= 0) return d;
    if (i === 0) return 1;
    const name = String(d);
    if (/past|seq|length|total/i.test(name)) return 0;
    const guess = i === 1 ? heads : i === input.dims.length - 1 ? headDim : undefined;
    if (guess === undefined) {
      throw new EngineError('onnx-invalid', `Cannot size the empty cache input "${input.name}" (dimension ${name}).`);
    }
    return guess;
  });
  // Some exports declare no shape; the Llama/transformers.js layout is [batch, kv heads, past, head dim].
  const shape = dims.length === 4 ? dims : [1, heads ?? 1, 0, headDim ?? 1];
  if (input.elemType === FLOAT16) return new ort.Tensor('float16', new Uint16Array(0), shape);
  if (input.elemType !== FLOAT && input.elemType !== 0) {
    throw new EngineError('onnx-invalid', `The cache input "${input.name}" has an unsupported element type (${input.elemType}).`);
  }
  return new ort.Tensor('float32', new Float32Array(0), shape);
}

