"""show(): inputs from numpy and torch-shaped tensors, tokens, and the MIME bundle's contents."""

import base64
import json
import os
import re
import unittest

import numpy as np

import attention_lens
from attention_lens import MIME_TYPE


def softmax_rows(scores, causal):
    T = scores.shape[-1]
    if causal:
        scores = np.where(np.triu(np.ones((T, T), dtype=bool), 1), -np.inf, scores)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def attention(layers, heads, T, causal, seed=0):
    return softmax_rows(np.random.default_rng(seed).normal(size=(layers, heads, T, T)), causal)


class FakeTensor:
    """Stands in for a torch tensor: only the methods the helper may call, and a record of them."""

    def __init__(self, array, calls):
        self.array, self.calls = array, calls

    def detach(self):
        self.calls.append("detach")
        return self

    def cpu(self):
        self.calls.append("cpu")
        return self

    def float(self):
        self.calls.append("float")
        return FakeTensor(self.array.astype(np.float32), self.calls)

    def numpy(self):
        self.calls.append("numpy")
        return self.array


class FakeTokenizer:
    """A SentencePiece-style tokenizer with one special token, as transformers' API shapes it."""

    vocab = {1: "<s>", 5: "\u2581Lily", 6: "\u2581had", 7: "\u2581a", 8: "\u2581ball", 9: "\u2581\U0001F388"}
    all_special_ids = [1]

    def convert_ids_to_tokens(self, ids):
        return [self.vocab[i] for i in ids]

    def decode(self, ids):
        return "".join(self.vocab[i] for i in ids).replace("\u2581", " ").lstrip()


def layer_values(doc, layer):
    """An independent read of one compact layer: base64 → numbers, as the page script reads it."""
    att = doc["attention"]
    raw = base64.b64decode(att["layers"][layer])
    if att["precision"] == "float32":
        return np.frombuffer(raw, "<f4")
    if att["precision"] == "float16":
        return np.frombuffer(raw, "<f2").astype(np.float32)
    return np.frombuffer(raw, np.uint8) / 255.0


class ShowTest(unittest.TestCase):
    def test_numpy_array_gives_the_three_mime_types(self):
        a = attention(2, 3, 5, causal=False)
        bundle = attention_lens.show(a, ["The", "\u2581cat", "\u2581sat", "\u2581on", "\u2581it"], model="demo")._repr_mimebundle_()
        self.assertEqual(set(bundle), {MIME_TYPE, "text/html", "text/plain"})
        doc = bundle[MIME_TYPE]
        json.dumps(doc, allow_nan=False)  # a notebook stores it as JSON
        self.assertEqual(doc["format"], "attention-lens/v1")
        self.assertEqual(doc["model"], {"id": "demo", "layers": 2, "heads": 3, "causal": False})
        self.assertEqual(doc["attention"]["precision"], "float32")
        self.assertEqual(doc["attention"]["layout"], "full")
        for l in range(2):
            np.testing.assert_array_equal(layer_values(doc, l), a[l].reshape(-1))
        self.assertIn("5 tokens, 2 layers × 3 heads", bundle["text/plain"])

    def test_causal_attention_keeps_the_lower_triangle(self):
        a = attention(2, 2, 6, causal=True)
        doc = attention_lens.show(a, list("abcdef")).document()
        self.assertTrue(doc["model"]["causal"])
        self.assertEqual(doc["attention"]["layout"], "causal")
        rows, cols = np.tril_indices(6)
        np.testing.assert_array_equal(layer_values(doc, 1), a[1][:, rows, cols].reshape(-1))

    def test_precisions_stay_within_their_error(self):
        a = attention(1, 2, 16, causal=False)
        for precision, bound in (("float16", 2 ** -12), ("uint8", 1 / 510)):
            doc = attention_lens.show(a, [f"t{i}" for i in range(16)], precision=precision).document()
            self.assertEqual(doc["attention"]["precision"], precision)
            error = np.abs(layer_values(doc, 0) - a[0].reshape(-1)).max()
            self.assertLessEqual(error, bound + 1e-7, precision)
            self.assertGreater(error, 0, f"{precision} rounds")

    def test_auto_precision_follows_the_size(self):
        # 12 × 12 × 512² is past both of the CLI's limits, even as a lower triangle.
        from attention_lens._encode import choose_precision

        self.assertEqual(choose_precision(2 ** 21), "float32")
        self.assertEqual(choose_precision(2 ** 21 + 1), "float16")
        self.assertEqual(choose_precision(12 * 12 * 512 * 513 // 2), "uint8")
        with self.assertRaisesRegex(ValueError, "precision must be"):
            attention_lens.show(attention(1, 1, 2, False), ["a", "b"], precision="float8").document()

    def test_hugging_face_tuple_of_torch_tensors_with_a_batch_index(self):
        calls = []
        batch = np.stack([attention(3, 2, 4, causal=True, seed=s) for s in (1, 2)], axis=1)  # [layers, batch, heads, T, T]
        outputs = tuple(FakeTensor(batch[l].astype(np.float16), calls) for l in range(3))
        view = attention_lens.show(outputs, ["<s>", "\u2581a", "\u2581b", "\u2581c"], batch=1)
        self.assertEqual(view.report.shape, (3, 2, 4, 4))
        np.testing.assert_allclose(view.report.attention, batch[:, 1].astype(np.float16).astype(np.float32))
        self.assertIn("detach", calls)
        self.assertIn("numpy", calls)
        with self.assertRaisesRegex(IndexError, "batch 2"):
            attention_lens.show(outputs, ["<s>", "a", "b", "c"], batch=2)

    def test_tokens_from_a_tokenizer_carry_utf16_offsets(self):
        ids = np.array([[1, 5, 6, 7, 9]])
        a = attention(1, 1, 5, causal=True)
        report = attention_lens.show(a, (FakeTokenizer(), ids)).report
        self.assertEqual(report.text, "Lily had a \U0001F388")
        tokens = report.tokens
        self.assertEqual([t["id"] for t in tokens], [1, 5, 6, 7, 9])
        self.assertEqual([t["special"] for t in tokens], [True, False, False, False, False])
        self.assertEqual((tokens[0]["start"], tokens[0]["end"]), (0, 0))
        self.assertEqual((tokens[1]["start"], tokens[1]["end"]), (0, 4))
        self.assertEqual((tokens[2]["start"], tokens[2]["end"]), (4, 8))
        # The balloon is one code point but two UTF-16 units, as VS Code and the views count.
        self.assertEqual((tokens[4]["start"], tokens[4]["end"]), (10, 13))

    def test_mismatched_tokens_are_an_error(self):
        with self.assertRaisesRegex(ValueError, "4 tokens but 3"):
            attention_lens.show(attention(1, 1, 4, False), ["a", "b", "c"])
        with self.assertRaisesRegex(ValueError, "output_attentions"):
            attention_lens.show((), ["a"])

    def test_text_html_is_the_cli_page_in_a_frame(self):
        from attention_lens._page import TEMPLATE

        self.assertTrue(os.path.exists(TEMPLATE), f"{TEMPLATE} is missing: run `npm run build` first")
        a = attention(2, 2, 5, causal=True)
        view = attention_lens.show(a, ["<s>", "\u2581x", "\u2581<y>", "\u2581z", "\u2581w"], model="demo </script>")
        page = view.html()
        self.assertIn('http-equiv="Content-Security-Policy"', page)
        self.assertNotIn("@@ATTENTION_LENS_", page)
        self.assertEqual(len(re.findall(r'class="attention-lens-layer" data-layer="\d"', page)), 2)
        embedded = re.search(r'<script type="application/json" id="attention-lens-report">(.*?)</script>', page, re.S).group(1)
        self.assertEqual(json.loads(embedded)["model"]["id"], "demo </script>")
        self.assertEqual(json.loads(embedded)["attention"]["layout"], "causal")
        frame = view._repr_mimebundle_()["text/html"]
        self.assertTrue(frame.startswith("<iframe"))
        self.assertNotIn('"', frame[frame.index('srcdoc="') + 8:-len('"></iframe>')])


if __name__ == "__main__":
    unittest.main()
