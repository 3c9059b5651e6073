"""A second reference for the checkpoint graph builder: the attention probabilities of a Hugging Face
checkpoint folder, computed with numpy in float64 by following the Hugging Face modelling code
(GPT2Model, BertModel, LlamaModel / MistralModel / Qwen2Model / Qwen3Model with eager attention)
step by step, reading every setting from config.json and every weight from model.safetensors.

It shares nothing with the builder or with the TypeScript reference in buildReference.ts: a
misreading of the modelling code in either would have to be repeated here to go unnoticed.

    python3 hf_reference.py CHECKPOINT_DIR < rows.json > attentions.json

rows.json: [{"ids": [...], "mask": [...], "positions": [...]?, "typeIds": [...]?}, ...]
attentions.json: [row][layer][head][query][key]
"""
import json
import math
import os
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    dtypes = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[base + start:base + end]
        if entry["dtype"] == "BF16":
            values = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, dtypes[entry["dtype"]])
        out[name] = values.astype(np.float64).reshape(entry["shape"])
    return out


class Weights:
    """Looks names up with the prefix the checkpoint happens to use ("", "model.", "transformer.", "bert.")."""

    def __init__(self, tensors, prefixes):
        self.tensors = tensors
        self.prefix = next(p for p in prefixes if any(k.startswith(p) for k in tensors))

    def get(self, name, default=None):
        full = self.prefix + name
        if full in self.tensors:
            return self.tensors[full]
        # TF-converted BERTs call LayerNorm's weight and bias gamma and beta.
        legacy = full.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        return self.tensors.get(legacy, default)

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(self.prefix + name)
        return value


def nn_linear(x, weight, bias=None):
    # torch.nn.Linear: y = x A^T + b
    y = x @ weight.T
    return y if bias is None else y + bias


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def rms_norm(x, weight, eps):
    # LlamaRMSNorm: hidden * rsqrt(mean(hidden^2) + eps), then weight * hidden
    variance = (x ** 2).mean(-1, keepdims=True)
    return weight * (x / np.sqrt(variance + eps))


def gelu_exact(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


ACT = {"gelu": gelu_exact, "gelu_new": gelu_new, "silu": silu}


def softmax(scores):
    scores = scores - scores.max(-1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(-1, keepdims=True)


def masked(scores, allowed):
    # The modelling code adds torch.finfo(dtype).min where a key is not allowed.
    return np.where(allowed, scores, np.finfo(np.float64).min)


def gpt2(config, w, row):
    ids = np.array(row["ids"])
    T = len(ids)
    positions = np.array(row.get("positions") or list(range(T)))
    n_head = config["n_head"]
    E = config["n_embd"]
    d = E // n_head
    eps = config.get("layer_norm_epsilon", 1e-5)
    act = ACT[config.get("activation_function", "gelu_new")]
    mask = np.array(row["mask"]) == 1
    allowed = np.tril(np.ones((T, T), bool)) & mask[None, :]
    h = w["wte.weight"][ids] + w["wpe.weight"][positions]
    out = []
    for layer in range(config["n_layer"]):
        b = f"h.{layer}."
        x = layer_norm(h, w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps)
        # Conv1D: x @ W + b with W stored [in, out]
        qkv = x @ w[b + "attn.c_attn.weight"] + w[b + "attn.c_attn.bias"]
        q, k, v = np.split(qkv, 3, axis=-1)
        split = lambda t: t.reshape(T, n_head, d).transpose(1, 0, 2)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        probs = softmax(masked(q @ k.transpose(0, 2, 1) / math.sqrt(d), allowed[None]))
        out.append(probs)
        context = (probs @ v).transpose(1, 0, 2).reshape(T, E)
        h = h + context @ w[b + "attn.c_proj.weight"] + w[b + "attn.c_proj.bias"]
        x = layer_norm(h, w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps)
        x = act(x @ w[b + "mlp.c_fc.weight"] + w[b + "mlp.c_fc.bias"])
        h = h + x @ w[b + "mlp.c_proj.weight"] + w[b + "mlp.c_proj.bias"]
    return out


def bert(config, w, row):
    ids = np.array(row["ids"])
    T = len(ids)
    types = np.array(row.get("typeIds") or [0] * T)
    heads = config["num_attention_heads"]
    H = config["hidden_size"]
    d = H // heads
    eps = config.get("layer_norm_eps", 1e-12)
    act = ACT[config.get("hidden_act", "gelu")]
    allowed = np.broadcast_to((np.array(row["mask"]) == 1)[None, :], (T, T))
    e = "embeddings."
    h = w[e + "word_embeddings.weight"][ids] + w[e + "position_embeddings.weight"][np.arange(T)] + w[e + "token_type_embeddings.weight"][types]
    h = layer_norm(h, w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"], eps)
    out = []
    for layer in range(config["num_hidden_layers"]):
        b = f"encoder.layer.{layer}."
        s = b + "attention.self."
        split = lambda t: t.reshape(T, heads, d).transpose(1, 0, 2)  # noqa: E731
        q = split(nn_linear(h, w[s + "query.weight"], w[s + "query.bias"]))
        k = split(nn_linear(h, w[s + "key.weight"], w[s + "key.bias"]))
        v = split(nn_linear(h, w[s + "value.weight"], w[s + "value.bias"]))
        probs = softmax(masked(q @ k.transpose(0, 2, 1) / math.sqrt(d), allowed[None]))
        out.append(probs)
        context = (probs @ v).transpose(1, 0, 2).reshape(T, H)
        o = b + "attention.output."
        a = layer_norm(nn_linear(context, w[o + "dense.weight"], w[o + "dense.bias"]) + h, w[o + "LayerNorm.weight"], w[o + "LayerNorm.bias"], eps)
        i = act(nn_linear(a, w[b + "intermediate.dense.weight"], w[b + "intermediate.dense.bias"]))
        h = layer_norm(nn_linear(i, w[b + "output.dense.weight"], w[b + "output.dense.bias"]) + a,
                       w[b + "output.LayerNorm.weight"], w[b + "output.LayerNorm.bias"], eps)
    return out


def rope_inv_freq(config, head_dim):
    base = config.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    scaling = config.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv_freq
    if kind != "llama3":
        raise SystemExit(f"hf_reference.py: rope_type {kind} is not transcribed")
    # _compute_llama3_parameters
    factor = scaling["factor"]
    low_freq_factor = scaling["low_freq_factor"]
    high_freq_factor = scaling["high_freq_factor"]
    old_context_len = scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return np.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def llama(config, w, row):
    ids = np.array(row["ids"])
    T = len(ids)
    positions = np.array(row.get("positions") or list(range(T)), dtype=np.float64)
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    hidden = config["hidden_size"]
    head_dim = config.get("head_dim") or hidden // heads
    eps = config.get("rms_norm_eps", 1e-6)
    act = ACT[config.get("hidden_act", "silu")]
    # Mistral always slides; Qwen2 only with use_sliding_window (on layers from max_window_layers up).
    window = config.get("sliding_window")
    model_type = config["model_type"]
    uses_window = window is not None and (model_type == "mistral" or (model_type in ("qwen2", "qwen3") and config.get("use_sliding_window", False)))
    mask = np.array(row["mask"]) == 1
    q_idx = np.arange(T)[:, None]
    kv_idx = np.arange(T)[None, :]
    causal = (kv_idx <= q_idx) & mask[None, :]

    inv_freq = rope_inv_freq(config, head_dim)
    freqs = positions[:, None] * inv_freq[None, :]
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)

    h = w["embed_tokens.weight"][ids]
    out = []
    for layer in range(config["num_hidden_layers"]):
        b = f"layers.{layer}."
        a = b + "self_attn."
        x = rms_norm(h, w[b + "input_layernorm.weight"], eps)
        q = nn_linear(x, w[a + "q_proj.weight"], w.get(a + "q_proj.bias")).reshape(T, heads, head_dim).transpose(1, 0, 2)
        k = nn_linear(x, w[a + "k_proj.weight"], w.get(a + "k_proj.bias")).reshape(T, kv_heads, head_dim).transpose(1, 0, 2)
        v = nn_linear(x, w[a + "v_proj.weight"], w.get(a + "v_proj.bias")).reshape(T, kv_heads, head_dim).transpose(1, 0, 2)
        if w.get(a + "q_norm.weight") is not None:  # Qwen3: RMSNorm over each head's dimensions, before RoPE
            q = rms_norm(q, w[a + "q_norm.weight"], eps)
            k = rms_norm(k, w[a + "k_norm.weight"], eps)
        q = q * cos[None] + rotate_half(q) * sin[None]
        k = k * cos[None] + rotate_half(k) * sin[None]
        # repeat_kv
        k = np.repeat(k, heads // kv_heads, axis=0)
        v = np.repeat(v, heads // kv_heads, axis=0)
        allowed = causal
        if uses_window and layer >= config.get("max_window_layers", 0):
            allowed = allowed & (kv_idx > q_idx - window)
        probs = softmax(masked(q @ k.transpose(0, 2, 1) * head_dim ** -0.5, allowed[None]))
        out.append(probs)
        context = (probs @ v).transpose(1, 0, 2).reshape(T, heads * head_dim)
        h = h + nn_linear(context, w[a + "o_proj.weight"], w.get(a + "o_proj.bias"))
        m = b + "mlp."
        x = rms_norm(h, w[b + "post_attention_layernorm.weight"], eps)
        gate = nn_linear(x, w[m + "gate_proj.weight"], w.get(m + "gate_proj.bias"))
        up = nn_linear(x, w[m + "up_proj.weight"], w.get(m + "up_proj.bias"))
        h = h + nn_linear(act(gate) * up, w[m + "down_proj.weight"], w.get(m + "down_proj.bias"))
    return out


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
    rows = json.load(sys.stdin)
    kind = config["model_type"]
    if kind == "gpt2":
        forward, prefixes = gpt2, ["transformer.", ""]
    elif kind == "bert":
        forward, prefixes = bert, ["bert.", ""]
    elif kind in ("llama", "mistral", "qwen2", "qwen3"):
        forward, prefixes = llama, ["model.", ""]
    else:
        raise SystemExit(f"hf_reference.py: model_type {kind} is not transcribed")
    w = Weights(tensors, prefixes)
    json.dump([[layer.tolist() for layer in forward(config, w, row)] for row in rows], sys.stdout)


if __name__ == "__main__":
    main()
