// Run in a child process by engineMemory.test.ts, under the environment it is given: four runs of a
// session opened as the stages' are (no memory arena) whose one intermediate tensor is 80 MB, past
// glibc's largest mmap threshold, and whose output is a scalar; prints the minor page faults of each
// run as one JSON line.
import { Tensor } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { openSession } from '../../src/engine/providers';

const VALUES = 20 * 2 ** 20;

function graph(): Uint8Array {
  const { DataType } = onnx.TensorProto;
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'one large intermediate',
      node: [
        { name: 'Expand', opType: 'Expand', input: ['x', 'shape'], output: ['large'] },
        { name: 'ReduceSum', opType: 'ReduceSum', input: ['large'], output: ['sum'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      ],
      initializer: [{ name: 'shape', dataType: DataType.INT64, dims: [1], rawData: new Uint8Array(BigInt64Array.of(BigInt(VALUES)).buffer) }],
      input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } }],
      output: [{ name: 'sum', type: { tensorType: { elemType: DataType.FLOAT } } }],
    },
  }).finish();
}

async function main(): Promise<void> {
  const { session } = await openSession(graph(), 'cpu', undefined, { enableCpuMemArena: false });
  const x = new Tensor('float32', Float32Array.of(0.5), [1]);
  const faults: number[] = [];
  for (let run = 0; run < 4; run++) {
    const before = process.resourceUsage().minorPageFault;
    await session.run({ x });
    faults.push(process.resourceUsage().minorPageFault - before);
  }
  await session.release();
  process.stdout.write(`${JSON.stringify({ faults, intermediateBytes: VALUES * 4 })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
