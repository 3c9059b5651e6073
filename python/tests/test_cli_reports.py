"""The CLI's own reports (``attention-lens inspect --out``) read back by ``load``. The safetensors
files are first checked against the format's rules by a reader written here from the specification
(the ``safetensors`` package itself is not a dependency): an 8-byte little-endian header size, a UTF-8
JSON header starting with ``{`` and padded only with spaces, string-only ``__metadata__``, and tensors
that cover the data section back to back with the byte sizes their dtype and shape imply."""

import json
import os
import struct
import subprocess
import tempfile
import unittest

import numpy as np

import attention_lens

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "dist", "cli.js")
MODEL = os.path.abspath(os.path.join(ROOT, "..", "shared", "models", "tinystories-656k"))
TEXT = "Lily had a red ball. She gave the ball to Tom because he was sad."
DTYPE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def read_by_spec(path):
    """Checks a file against the safetensors rules; returns (metadata, {name: (dtype, shape, bytes)})."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    raw = data[8 : 8 + n]
    if len(raw) != n:
        raise AssertionError("header runs past the end of the file")
    text = raw.decode("utf-8")
    if not text.startswith("{"):
        raise AssertionError("header does not start with {")
    if text.rstrip(" ") != text.rstrip():
        raise AssertionError("header is padded with something other than spaces")
    header = json.loads(text)
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise AssertionError("__metadata__ must map strings to strings")
    buffer = data[8 + n :]
    tensors, spans = {}, []
    for name, entry in header.items():
        if set(entry) != {"dtype", "shape", "data_offsets"}:
            raise AssertionError(f"{name}: unexpected keys {sorted(entry)}")
        begin, end = entry["data_offsets"]
        if end - begin != DTYPE_SIZES[entry["dtype"]] * int(np.prod(entry["shape"], dtype=np.int64)):
            raise AssertionError(f"{name}: byte size does not match dtype and shape")
        spans.append((begin, end))
        tensors[name] = (entry["dtype"], entry["shape"], buffer[begin:end])
    spans.sort()
    position = 0
    for begin, end in spans:
        if begin != position:
            raise AssertionError("tensors leave a gap or overlap in the data section")
        position = end
    if position != len(buffer):
        raise AssertionError("the data section holds bytes no tensor covers")
    return metadata, tensors


class CliReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="attention-lens-cli-")
        cls.json = os.path.join(cls.dir, "report.json")
        cls.f32 = os.path.join(cls.dir, "attention.safetensors")
        cls.f16 = os.path.join(cls.dir, "attention-f16.safetensors")
        # `npm run test:python` builds dist/cli.js first; NODE picks the interpreter, as PYTHON does for npm.
        run = [os.environ.get("NODE", "node"), CLI, "inspect", "--model", MODEL, "--text", TEXT, "--provider", "cpu", "--quiet"]
        subprocess.run(run + ["--out", cls.json, "--out", cls.f32], check=True)
        subprocess.run(run + ["--out", cls.f16, "--out-precision", "float16"], check=True)

    def test_safetensors_reports_follow_the_format(self):
        reference = attention_lens.load(self.json)
        layers, heads, T, _ = reference.shape
        for path, dtype, numpy_dtype in ((self.f32, "F32", "<f4"), (self.f16, "F16", "<f2")):
            metadata, tensors = read_by_spec(path)
            self.assertEqual(sorted(tensors), sorted(f"attention.{l}" for l in range(layers)))
            self.assertEqual(metadata["format"], "attention-lens/v1")
            self.assertEqual(metadata["text"], TEXT)
            self.assertEqual(json.loads(metadata["tokens"]), reference.tokens)
            for l in range(layers):
                got_dtype, shape, raw = tensors[f"attention.{l}"]
                self.assertEqual((got_dtype, shape), (dtype, [heads, T, T]))
                values = np.frombuffer(raw, dtype=numpy_dtype).reshape(shape).astype(np.float32)
                tolerance = 0 if dtype == "F32" else 2**-12
                self.assertLessEqual(np.abs(values - reference.attention[l]).max(), tolerance)

    def test_load_reads_the_cli_reports_alike(self):
        from_json = attention_lens.load(self.json)
        self.assertEqual(from_json.text, TEXT)
        self.assertTrue(from_json.model["causal"])
        np.testing.assert_allclose(from_json.attention.sum(axis=-1), 1, atol=1e-5)
        for path, tolerance in ((self.f32, 0), (self.f16, 2**-12)):
            report = attention_lens.load(path)
            self.assertEqual(report.shape, from_json.shape)
            self.assertEqual(report.tokens, from_json.tokens)
            self.assertEqual(report.text, from_json.text)
            self.assertEqual(report.model, from_json.model)
            self.assertEqual(report.warnings, from_json.warnings)
            self.assertLessEqual(np.abs(report.attention - from_json.attention).max(), tolerance)


if __name__ == "__main__":
    unittest.main()
