// Float16 attention rounded by onnxruntime rather than by JavaScript. When the attention store keeps
// an inspection as float16 (src/engine/storeBudget.ts), each layer is rounded to half precision by a
// one-node Cast graph as soon as its stage hands it over: in JavaScript, on the engine's one thread,
// one 14 × 2048 × 2048 layer took 0.3 to 1.2 s to encode; the Cast takes 50 to 70 ms.
//
// A session of its own, rather than a Cast in each stage's attention part: the store's mode is chosen
// per inspection (by its length and the budget) while the stages are opened once per model, and
// onnxruntime runs every node of a graph whatever the run fetches, so a Cast inside the part would
// cost float32 and recompute runs a cast per layer; a second variant of each part would load its
// weights twice (layer 0's holds the embeddings). The Cast rounds to nearest, ties to even,
// subnormals included: the bits encodeFloat16 (src/attention/quantize.ts) gives for every value but
// NaN, which stays a NaN (test/unit/float16Cast.test.ts).
import { Tensor } from 'onnxruntime-node';
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { openSession } from './providers';

const INPUT = 'attention';
const OUTPUT = 'attention_float16';
// Cast in pieces whose halves (8 MB, and the copy onnxruntime-node makes of them) glibc serves from
// its heap, reusing the last piece's memory: as one block, a 2048-token layer's 117 MB of halves was
// mapped and faulted in afresh twice per layer (by onnxruntime and for its copy), which cost more
// than the Cast. Only the bits the store keeps are one large block.
const CHUNK_VALUES = 4 * 2 ** 20;

/** A Cast to float16 on the CPU provider, for attention of any shape. */
export class Float16Cast {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(): Promise<Float16Cast> {
    return new Float16Cast((await openSession(castGraph(), 'cpu')).session);
  }

  /** `attention`'s values as IEEE half-precision bits, in the same order. */
  async bits(attention: ort.Tensor): Promise<Uint16Array> {
    const values = attention.data as Float32Array;
    const bits = new Uint16Array(values.length);
    for (let start = 0; start < values.length; start += CHUNK_VALUES) {
      const chunk = values.subarray(start, Math.min(start + CHUNK_VALUES, values.length));
      const out = await this.session.run({ [INPUT]: new Tensor('float32', chunk, [chunk.length]) });
      bits.set(out[OUTPUT].data as Uint16Array, start);
    }
    return bits;
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
