"""The one-step img2img arithmetic on a latent, each formula one fused pass.

  add_noise:   mixed = (1 - feedback) * latent + feedback * prev          (prev None: mixed = latent)
               x_t   = sqrt(alpha_bar) * mixed + sqrt(1 - alpha_bar) * eps
  predict_x0:  "epsilon":       x0 = (x_t - sqrt(1 - alpha_bar) * model_out) / sqrt(alpha_bar)
               "v_prediction":  x0 = sqrt(alpha_bar) * x_t - sqrt(1 - alpha_bar) * model_out

Latents are (B, C, h, w) (any rank up to 4 works), fp16 / bf16 / fp32, any strides. Both paths
compute in fp32 and store in the output's dtype (the input's unless `out` says otherwise), so eager
torch's fp16 intermediates (three roundings for add_noise) are not part of the reference either.
"""
import math

import torch
from torch import Tensor

from gpu_kernels.backend import block_size, jit, launchable, tl, triton, use_triton

PREDICTION_TYPES = ("epsilon", "v_prediction")


@jit
def _offsets(idx, C, H, W, s_b, s_c, s_h, s_w, CONTIGUOUS: tl.constexpr):
    # Flat index over a (B, C, H, W) shape -> element offset for one tensor's strides.
    if CONTIGUOUS:
        offset = idx
    else:
        w = idx % W
        h = (idx // W) % H
        c = (idx // (W * H)) % C
        b = idx // (W * H * C)
        offset = b * s_b + c * s_c + h * s_h + w * s_w
    return offset


@jit
def _add_noise_kernel(
    latent_ptr, eps_ptr, prev_ptr, out_ptr,
    n, C, H, W,
    sl_b, sl_c, sl_h, sl_w,
    se_b, se_c, se_h, se_w,
    sp_b, sp_c, sp_h, sp_w,
    so_b, so_c, so_h, so_w,
    keep, feedback, sqrt_ab, sqrt_1m_ab,
    HAS_PREV: tl.constexpr, CONTIGUOUS: tl.constexpr, BLOCK: tl.constexpr,
):
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over B*C*H*W
    mask = idx < n
    latent = tl.load(latent_ptr + _offsets(idx, C, H, W, sl_b, sl_c, sl_h, sl_w, CONTIGUOUS), mask=mask)
    eps = tl.load(eps_ptr + _offsets(idx, C, H, W, se_b, se_c, se_h, se_w, CONTIGUOUS), mask=mask)
    mixed = latent.to(tl.float32)
    if HAS_PREV:
        prev = tl.load(prev_ptr + _offsets(idx, C, H, W, sp_b, sp_c, sp_h, sp_w, CONTIGUOUS), mask=mask)
        mixed = keep * mixed + feedback * prev.to(tl.float32)
    x_t = sqrt_ab * mixed + sqrt_1m_ab * eps.to(tl.float32)
    o = _offsets(idx, C, H, W, so_b, so_c, so_h, so_w, CONTIGUOUS)
    tl.store(out_ptr + o, x_t.to(out_ptr.dtype.element_ty), mask=mask)


@jit
def _predict_x0_kernel(
    x_ptr, m_ptr, out_ptr,
    n, C, H, W,
    sx_b, sx_c, sx_h, sx_w,
    sm_b, sm_c, sm_h, sm_w,
    so_b, so_c, so_h, so_w,
    sqrt_ab, sqrt_1m_ab,
    V_PREDICTION: tl.constexpr, CONTIGUOUS: tl.constexpr, BLOCK: tl.constexpr,
):
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over B*C*H*W
    mask = idx < n
    x_t = tl.load(x_ptr + _offsets(idx, C, H, W, sx_b, sx_c, sx_h, sx_w, CONTIGUOUS), mask=mask)
    model_out = tl.load(m_ptr + _offsets(idx, C, H, W, sm_b, sm_c, sm_h, sm_w, CONTIGUOUS), mask=mask)
    x_t = x_t.to(tl.float32)
    model_out = model_out.to(tl.float32)
    if V_PREDICTION:
        x0 = sqrt_ab * x_t - sqrt_1m_ab * model_out
    else:
        x0 = (x_t - sqrt_1m_ab * model_out) / sqrt_ab
    o = _offsets(idx, C, H, W, so_b, so_c, so_h, so_w, CONTIGUOUS)
    tl.store(out_ptr + o, x0.to(out_ptr.dtype.element_ty), mask=mask)


# ---- references ---------------------------------------------------------------------------------

def add_noise_reference(latent: Tensor, eps: Tensor, alpha_bar: float, prev: Tensor | None = None,
                        feedback: float = 0.0, out: Tensor | None = None) -> Tensor:
    _check_same_shape(latent, eps, prev, out)
    mixed = latent.float()
    if prev is not None:
        mixed = (1.0 - feedback) * mixed + feedback * prev.float()
    x_t = math.sqrt(alpha_bar) * mixed + math.sqrt(1.0 - alpha_bar) * eps.float()
    return _store(x_t, latent.dtype, out)


def predict_x0_reference(x_t: Tensor, model_out: Tensor, alpha_bar: float, prediction_type: str = "epsilon",
                         out: Tensor | None = None) -> Tensor:
    _check_same_shape(x_t, model_out, None, out)
    _check_prediction_type(prediction_type)
    x, m = x_t.float(), model_out.float()
    sqrt_ab, sqrt_1m_ab = math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
    if prediction_type == "v_prediction":
        x0 = sqrt_ab * x - sqrt_1m_ab * m
    else:
        x0 = (x - sqrt_1m_ab * m) / sqrt_ab
    return _store(x0, x_t.dtype, out)


# ---- Triton launches ----------------------------------------------------------------------------

def add_noise_triton(latent: Tensor, eps: Tensor, alpha_bar: float, prev: Tensor | None = None,
                     feedback: float = 0.0, out: Tensor | None = None) -> Tensor:
    _check_same_shape(latent, eps, prev, out)
    out = torch.empty_like(latent) if out is None else out
    tensors = [latent, eps, prev if prev is not None else latent, out]
    shape, strides, contiguous = _layout(tensors)
    n = latent.numel()
    if n == 0:
        return out
    block = block_size(n, latent.device)
    launchable(_add_noise_kernel, latent.device)[(triton.cdiv(n, block),)](
        latent, eps, tensors[2], out,
        n, *shape[1:], *strides[0], *strides[1], *strides[2], *strides[3],
        1.0 - feedback, feedback, math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar),
        HAS_PREV=prev is not None, CONTIGUOUS=contiguous, BLOCK=block,
    )
    return out


def predict_x0_triton(x_t: Tensor, model_out: Tensor, alpha_bar: float, prediction_type: str = "epsilon",
                      out: Tensor | None = None) -> Tensor:
    _check_same_shape(x_t, model_out, None, out)
    _check_prediction_type(prediction_type)
    out = torch.empty_like(x_t) if out is None else out
    shape, strides, contiguous = _layout([x_t, model_out, out])
    n = x_t.numel()
    if n == 0:
        return out
    block = block_size(n, x_t.device)
    launchable(_predict_x0_kernel, x_t.device)[(triton.cdiv(n, block),)](
        x_t, model_out, out,
        n, *shape[1:], *strides[0], *strides[1], *strides[2],
        math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar),
        V_PREDICTION=prediction_type == "v_prediction", CONTIGUOUS=contiguous, BLOCK=block,
    )
    return out


# ---- dispatchers --------------------------------------------------------------------------------

def add_noise(latent: Tensor, eps: Tensor, alpha_bar: float, prev: Tensor | None = None,
              feedback: float = 0.0, out: Tensor | None = None, *, backend: str = "auto") -> Tensor:
    """x_t from the (feedback-blended) latent and the session's fixed noise; see the module docstring."""
    tensors = [t for t in (latent, eps, prev, out) if t is not None]
    impl = add_noise_triton if use_triton(backend, *tensors) else add_noise_reference
    return impl(latent, eps, alpha_bar, prev, feedback, out)


def predict_x0(x_t: Tensor, model_out: Tensor, alpha_bar: float, prediction_type: str = "epsilon",
               out: Tensor | None = None, *, backend: str = "auto") -> Tensor:
    """The clean latent from the model's epsilon or v prediction; see the module docstring."""
    tensors = [t for t in (x_t, model_out, out) if t is not None]
    impl = predict_x0_triton if use_triton(backend, *tensors) else predict_x0_reference
    return impl(x_t, model_out, alpha_bar, prediction_type, out)


def _check_same_shape(first: Tensor, *others: Tensor | None) -> None:
    for t in others:
        if t is not None and t.shape != first.shape:
            raise ValueError(f"shape {tuple(t.shape)} does not match the latent's {tuple(first.shape)}")
    if first.dim() > 4:
        raise ValueError(f"latents have at most 4 dimensions, got {first.dim()}")


def _check_prediction_type(prediction_type: str) -> None:
    if prediction_type not in PREDICTION_TYPES:
        raise ValueError(f"prediction_type must be one of {PREDICTION_TYPES}, not {prediction_type!r}")


def _store(value: Tensor, dtype: torch.dtype, out: Tensor | None) -> Tensor:
    if out is None:
        return value.to(dtype)
    return out.copy_(value)


def _layout(tensors: list[Tensor]) -> tuple[tuple[int, ...], list[tuple[int, ...]], bool]:
    """The (B, C, H, W) shape, each tensor's strides in it, and whether flat indices are offsets."""
    views = [t.reshape((1,) * (4 - t.dim()) + tuple(t.shape)) if t.dim() < 4 else t for t in tensors]
    # reshape of a tensor only gaining leading 1-sized dims is a view; it never copies.
    shape = tuple(views[0].shape)
    if max(1, math.prod(shape)) >= 2**31:
        raise ValueError("latents over 2**31 elements need 64-bit offsets")
    contiguous = all(t.is_contiguous() for t in tensors)
    return shape, [tuple(v.stride()) for v in views], contiguous
