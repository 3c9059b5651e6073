"""load(): the CLI's JSON reports and safetensors reports, written here byte by byte to the format."""

import json
import os
import struct
import tempfile
import unittest

import numpy as np

import attention_lens

TOKENS = [
    {"id": 1, "text": "<s>", "start": 0, "end": 0, "special": True},
    {"id": 7, "text": "\u2581Hi", "start": 0, "end": 2, "special": False},
    {"id": 8, "text": "\u2581there", "start": 2, "end": 8, "special": False},
]
MODEL = {"id": "tiny", "layers": 2, "heads": 2, "causal": True, "provider": "cpu"}
TEXT = "Hi there"


def causal_attention(seed=0):
    rng = np.random.default_rng(seed)
    a = np.tril(rng.random((2, 2, 3, 3))).astype(np.float32)
    return a / a.sum(axis=-1, keepdims=True)


def write_safetensors(path, layers, dtype):
    header, blobs, offset = {}, [], 0
    for l, layer in enumerate(layers):
        raw = layer.astype({"F32": "<f4", "F16": "<f2"}[dtype]).tobytes()
        header[f"attention.{l}"] = {"dtype": dtype, "shape": list(layer.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "attention-lens/v1", "model": json.dumps(MODEL), "text": TEXT, "tokens": json.dumps(TOKENS)}
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class LoadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="attention-lens-")

    def test_json_report(self):
        a = causal_attention()
        path = os.path.join(self.dir, "report.json")
        with open(path, "w") as f:
            json.dump({"format": "attention-lens/v1", "model": MODEL, "text": TEXT, "tokens": TOKENS, "attention": a.tolist()}, f)
        report = attention_lens.load(path)
        np.testing.assert_array_equal(report.attention, a)
        self.assertEqual(report.tokens, TOKENS)
        self.assertEqual(report.text, TEXT)
        self.assertEqual(report.model["provider"], "cpu")
        doc = attention_lens.show(report).document()
        self.assertEqual(doc["tokens"], TOKENS)
        self.assertEqual(doc["attention"]["layout"], "causal")

    def test_safetensors_report_f32_and_f16(self):
        a = causal_attention(1)
        for dtype, tolerance in (("F32", 0), ("F16", 2 ** -12)):
            path = os.path.join(self.dir, f"report-{dtype}.safetensors")
            write_safetensors(path, list(a), dtype)
            report = attention_lens.load(path)
            self.assertEqual(report.shape, (2, 2, 3, 3))
            self.assertLessEqual(np.abs(report.attention - a).max(), tolerance)
            self.assertEqual(report.tokens, TOKENS)
            self.assertEqual(report.text, TEXT)
            self.assertEqual(report.model["id"], "tiny")

    def test_a_saved_notebook_document_loads_back(self):
        a = causal_attention(2)
        doc = attention_lens.show(a, TOKENS, text=TEXT, model=MODEL).document()
        path = os.path.join(self.dir, "output.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        np.testing.assert_array_equal(attention_lens.load(path).attention, a)

    def test_other_files_are_refused_with_a_reason(self):
        path = os.path.join(self.dir, "other.json")
        with open(path, "w") as f:
            json.dump({"format": "something-else"}, f)
        with self.assertRaisesRegex(ValueError, "not an attention-lens/v1 report"):
            attention_lens.load(path)
        path = os.path.join(self.dir, "weights.safetensors")
        header = json.dumps({"__metadata__": {"format": "pt"}}).encode()
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header)
        with self.assertRaisesRegex(ValueError, "not an attention-lens/v1 report"):
            attention_lens.load(path)


if __name__ == "__main__":
    unittest.main()
