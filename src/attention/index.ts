// The attention math shared by the extension host, the webview and the CLI: no I/O, no vscode.

export { checkLayerShape, maxOverHeads, meanOverHeads, selectHead } from './aggregate';
export { finalRollout, residualAttention, rollout, rolloutInSteps } from './rollout';
export {
  hideTokens,
  isSelected,
  normalizeRows,
  normalizeRowsInPlace,
  type TokenSelection,
  type VisibleAttention,
} from './normalize';
export { topK, type KeyWeight } from './topk';
export {
  FLOAT16_MAX,
  FLOAT16_MAX_RELATIVE_ERROR,
  FLOAT16_MAX_SUBNORMAL_ERROR,
  UINT8_MAX_ERROR,
  decodeFloat16,
  dequantizeProbabilities,
  dequantizeUint8,
  encodeFloat16,
  fromFloat16,
  toFloat16,
  quantizeProbabilities,
  quantizeUint8,
} from './quantize';
export { AttentionViews, type AttentionShape } from './views';
export { LocalAttention, type AttentionData } from './localAttention';
export { MIN_LINK_WEIGHT, LINK_OPACITY_STEPS } from './links';
