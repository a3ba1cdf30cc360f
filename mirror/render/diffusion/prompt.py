"""The text side: scene prompt → CLIP embedding (cached), and the glide from one embedding to the next.

A prompt is encoded once, when the scene's prompt text changes, on the stage's own thread before
that frame's step: the frame right after a spoken command already moves towards the new prompt,
nothing waits behind older frames. An LRU of embeddings by text makes undo/redo and flipping
between scenes free.

A jump between two prompts' embeddings shows as a jump in the picture, so the embedding the UNet
sees travels from where it is to the new one over a few frames: per token, the direction moves
along the great circle (slerp) and the length linearly, so every step is a plausible embedding
rather than the shrunken average a straight line passes through.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor
from transformers import CLIPTextModel, CLIPTokenizer


class PromptEncoder:
    """text → (1, 77, D) last hidden state of the CLIP text encoder, as SD 2.x conditions on it."""

    def __init__(self, tokenizer: CLIPTokenizer, text_encoder: CLIPTextModel, cache_size: int = 16) -> None:
        self.tokenizer = tokenizer
        self.text_encoder = text_encoder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Tensor] = OrderedDict()

    @torch.inference_mode()
    def __call__(self, text: str) -> Tensor:
        if text in self._cache:
            self._cache.move_to_end(text)
            return self._cache[text]
        ids = self.tokenizer(text, padding="max_length", max_length=self.tokenizer.model_max_length,
                             truncation=True, return_tensors="pt").input_ids  # (1, 77)
        embedding = self.text_encoder(ids.to(self.text_encoder.device))[0]  # (1, 77, D)
        self._cache[text] = embedding
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return embedding


def slerp(a: Tensor, b: Tensor, t: float, eps: float = 1e-6) -> Tensor:
    """Per token from a (t = 0) to b (t = 1): direction on the great circle, length linear.

    a, b: (..., D); computed in fp32, returned in a's dtype. Tokens that point the same way move
    in a straight line (the slerp weights are 0/0 there)."""
    a32, b32 = a.float(), b.float()
    len_a, len_b = a32.norm(dim=-1, keepdim=True), b32.norm(dim=-1, keepdim=True)  # (..., 1)
    unit_a, unit_b = a32 / len_a.clamp_min(eps), b32 / len_b.clamp_min(eps)
    cos = (unit_a * unit_b).sum(dim=-1, keepdim=True).clamp(-1.0, 1.0)
    angle = torch.acos(cos)
    sin = torch.sin(angle)
    straight = sin < 1e-4
    safe_sin = torch.where(straight, torch.ones_like(sin), sin)
    w_a = torch.where(straight, torch.full_like(sin, 1.0 - t), torch.sin((1.0 - t) * angle) / safe_sin)
    w_b = torch.where(straight, torch.full_like(sin, t), torch.sin(t * angle) / safe_sin)
    direction = w_a * unit_a + w_b * unit_b
    direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(eps)
    length = (1.0 - t) * len_a + t * len_b
    return (direction * length).to(a.dtype)


class PromptBlend:
    """The embedding for each frame: the first prompt at once; after that, from wherever the
    embedding is (mid-glide included) to the newest target over `frames` frames, exactly the
    target from the `frames`-th frame on."""

    def __init__(self, frames: int) -> None:
        self.frames = max(1, frames)
        self._start: Tensor | None = None
        self._target: Tensor | None = None
        self._current: Tensor | None = None
        self._step = 0

    @property
    def settled(self) -> bool:
        return self._current is not None and self._current is self._target

    def retarget(self, target: Tensor) -> None:
        if self._current is None:
            self._start = self._target = self._current = target
            self._step = self.frames
            return
        self._start, self._target, self._step = self._current, target, 0

    def next(self) -> Tensor:
        """This frame's (1, 77, D) embedding; advances the glide by one frame."""
        if self._current is None:
            raise RuntimeError("PromptBlend.next() before any prompt was set")
        if self._step < self.frames:
            self._step += 1
            if self._step == self.frames:
                self._current = self._target
            else:
                self._current = slerp(self._start, self._target, self._step / self.frames)
        return self._current
