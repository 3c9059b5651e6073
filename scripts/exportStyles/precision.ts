// The export styles of issue 11 that change only how weights are stored: external data (one file
// and several chunks), fp16, 8-bit and 4-bit. Each is made from a fixture's own ONNX export, so the
// fixture's golden.json still applies, and named as transformers.js names the variant.
import type { ExportStyle } from './index';
import { fixtureGraph, styleFolder, writeGraph, writeWithExternalData } from './graphFiles';
import { toFloat16Graph } from './halfPrecision';
import { quantise4, quantise8 } from './quantise';

const FIXTURE = 'tinystories-656k';

export const precisionStyles: ExportStyle[] = [
  {
    name: 'external-data',
    fixture: FIXTURE,
    description: 'Optimum / transformers.js export over 2 GB: onnx/model.onnx with its weights in model.onnx_data',
    graph: 'onnx/model.onnx',
    build(outDir) {
      styleFolder(outDir, FIXTURE);
      writeWithExternalData(outDir, 'model.onnx', fixtureGraph(FIXTURE));
    },
  },
  {
    name: 'external-data-chunks',
    fixture: FIXTURE,
    description: 'external data in several chunks (model.onnx_data, _data_1, …)',
    graph: 'onnx/model.onnx',
    build(outDir) {
      styleFolder(outDir, FIXTURE);
      // At most 1 MB per file splits the 3.7 MB of weights into model.onnx_data, _data_1, _data_2, _data_3.
      writeWithExternalData(outDir, 'model.onnx', fixtureGraph(FIXTURE), { chunkBytes: 1 << 20 });
    },
  },
  {
    name: 'fp16',
    fixture: FIXTURE,
    description: 'transformers.js model_fp16.onnx: float16 weights and compute, float32 inputs and logits',
    graph: 'onnx/model_fp16.onnx',
    build(outDir) {
      styleFolder(outDir, FIXTURE);
      const model = fixtureGraph(FIXTURE);
      toFloat16Graph(model);
      writeGraph(outDir, 'model_fp16.onnx', model);
    },
  },
  {
    name: 'q8',
    fixture: FIXTURE,
    description: 'transformers.js model_quantized.onnx: DynamicQuantizeLinear + MatMulInteger',
    graph: 'onnx/model_quantized.onnx',
    build(outDir) {
      styleFolder(outDir, FIXTURE);
      const model = fixtureGraph(FIXTURE);
      quantise8(model);
      writeGraph(outDir, 'model_quantized.onnx', model);
    },
  },
  {
    name: 'q4',
    fixture: FIXTURE,
    description: 'transformers.js model_q4.onnx: com.microsoft.MatMulNBits, 4 bits in blocks of 32',
    graph: 'onnx/model_q4.onnx',
    build(outDir) {
      styleFolder(outDir, FIXTURE);
      const model = fixtureGraph(FIXTURE);
      quantise4(model);
      writeGraph(outDir, 'model_q4.onnx', model);
    },
  },
];
