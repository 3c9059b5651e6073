import { EngineError } from '../errors';
import type { EngineErrorCode } from '../../protocol';

const UNSUPPORTED: EngineErrorCode = 'unsupported-architecture';
const INVALID_CHECKPOINT: EngineErrorCode = 'checkpoint-invalid';

/** The checkpoint's model_type has no graph builder. */
export function unsupportedArchitecture(modelType: string, supported: string[]): EngineError {
  return new EngineError(UNSUPPORTED,
    `This model's architecture (${modelType}) cannot be turned into an ONNX graph by Attention Lens. ` +
    `Supported without an ONNX export: ${supported.join(', ')}. ` +
    'For other models, export ONNX with eager attention (for example `optimum-cli export onnx`).',
    `model_type ${modelType}`);
}

/** A feature inside a supported family that the builder does not implement. */
export function unsupportedFeature(modelType: string, what: string): EngineError {
  return new EngineError(UNSUPPORTED,
    `This ${modelType} checkpoint uses ${what}, which Attention Lens cannot build a graph for. ` +
    'Export it to ONNX with eager attention instead.', what);
}

/** A safetensors file or index that cannot be read as one. */
export function invalidCheckpoint(file: string, why: string): EngineError {
  return new EngineError(INVALID_CHECKPOINT,
    `The checkpoint ${file} is not a valid safetensors file (${why}). Download it again.`, why);
}

/** config.json disagrees with the weights, or lacks a field the builder needs. */
export function configProblem(message: string, detail?: string): EngineError {
  return new EngineError('config-mismatch', message, detail);
}
