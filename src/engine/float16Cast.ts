// Float16 attention rounded by onnxruntime rather than by JavaScript. When the attention store keeps
// an inspection as float16 (src/engine/storeBudget.ts), each layer is rounded to half precision by a
// one-node Cast graph as soon as its stage hands it over: in JavaScript, on the engine's one thread,
// one 14 × 2048 × 2048 layer took about 1.2 s to encode.
//
// A session of its own, rather than a Cast in each stage's attention part: the store's mode is chosen
// per inspection (by its length and the budget) while the stages are opened once per model, and
// onnxruntime runs every node of a graph whatever the run fetches, so a Cast inside the part would
// cost float32 and recompute runs a cast per layer; a second variant of each part would load its
// weights twice (layer 0's holds the embeddings). The Cast rounds to nearest, ties to even,
// subnormals included: the bits encodeFloat16 (src/attention/quantize.ts) gives for every value but
// NaN, which stays a NaN (test/unit/float16Cast.test.ts).
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { openSession } from './providers';

const INPUT = 'attention';
const OUTPUT = 'attention_float16';

/** A Cast to float16 on the CPU provider, for attention of any shape. */
export class Float16Cast {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(): Promise<Float16Cast> {
    // Without an arena, onnxruntime frees each run's output once it is copied out, rather than
    // keeping the largest layer's half for good.
    const { session } = await openSession(castGraph(), 'cpu', undefined, { enableCpuMemArena: false });
    return new Float16Cast(session);
  }

  /** `attention`'s values as IEEE half-precision bits, in the same order. */
  async bits(attention: ort.Tensor): Promise<Uint16Array> {
    const out = await this.session.run({ [INPUT]: attention });
    return out[OUTPUT].data as Uint16Array;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function castGraph(): Uint8Array {
  const { DataType } = onnx.TensorProto;
  const tensor = (name: string, elemType: number): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'attention to float16',
      node: [{
        name: 'Cast', opType: 'Cast', domain: '', input: [INPUT], output: [OUTPUT],
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT16 }],
      }],
      input: [tensor(INPUT, DataType.FLOAT)],
      output: [tensor(OUTPUT, DataType.FLOAT16)],
    },
  }).finish();
}
