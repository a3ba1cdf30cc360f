"""Frames into and out of the GPU step, each direction one pass over memory.

  ingest_rgb   uint8 RGB (H, W, 3)                         -> (1, 3, out_h, out_w) in [-1, 1]
  ingest_i420  uint8 Y (H, W), U and V (H/2, W/2)          -> (1, 3, out_h, out_w) in [-1, 1]
  emit_rgb     (1, 3, h, w) in [-1, 1]                     -> uint8 RGB (out_h, out_w, 3)
  emit_i420    (1, 3, h, w) in [-1, 1]                     -> uint8 Y (out_h, out_w), U and V (out_h/2, out_w/2)

Resizing is bilinear with half-pixel centres and no antialiasing, i.e.
`F.interpolate(mode="bilinear", align_corners=False, antialias=False)`, which the references call.
Pixel values map to [-1, 1] as v / 127.5 - 1 and back as (x + 1) * 127.5.

YUV is BT.601 limited range (luma 16..235, chroma 16..240 around 128): what WebRTC decoders give,
what encoders expect, and what libswscale uses for yuv420p <-> rgb24. In, with Y' = Y - 16 and so on:
    R = 1.164384 Y'                  + 1.596027 (V - 128)
    G = 1.164384 Y' - 0.391762 (U - 128) - 0.812968 (V - 128)
    B = 1.164384 Y' + 2.017232 (U - 128)
Each chroma sample covers its 2x2 luma block (nearest, like swscale's unscaled converter); the
frame is converted and clamped to 0..255 at its own size, then resized. Out, the inverse matrix
    Y = 16  + 0.256788 R + 0.504129 G + 0.097906 B
    U = 128 - 0.148223 R - 0.290993 G + 0.439216 B
    V = 128 + 0.439216 R - 0.367788 G - 0.071427 B
applied to the resized RGB clamped to 0..255; a chroma sample is the mean of its four pixels' RGB.

uint8 results are rounded half up, floor(v + 0.5), after clamping to 0..255 (one rule that the
kernels and references share; torch.round's half-to-even would need a libdevice call in the kernel).

Inputs may have any strides (crops, padded decoder planes, channels-last views); `out` may too and
is written in place, in its own dtype. Everything is computed in fp32.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

from gpu_kernels.backend import block_size, constexpr, jit, launchable, tl, triton, use_triton

# BT.601 limited range from its definition (Kr = 0.299, Kb = 0.114, luma 219 and chroma 224 levels).
_KR, _KB = 0.299, 0.114
_KG = 1.0 - _KR - _KB
Y_GAIN = 255.0 / 219.0
V_TO_R = 255.0 / 224.0 * 2 * (1 - _KR)
U_TO_G = -255.0 / 224.0 * 2 * (1 - _KB) * _KB / _KG
V_TO_G = -255.0 / 224.0 * 2 * (1 - _KR) * _KR / _KG
U_TO_B = 255.0 / 224.0 * 2 * (1 - _KB)
RGB_TO_Y = tuple(219.0 / 255.0 * k for k in (_KR, _KG, _KB))
RGB_TO_U = tuple(224.0 / 255.0 * k for k in (-_KR / (2 * (1 - _KB)), -_KG / (2 * (1 - _KB)), 0.5))
RGB_TO_V = tuple(224.0 / 255.0 * k for k in (0.5, -_KG / (2 * (1 - _KR)), -_KB / (2 * (1 - _KR))))

# The same numbers as constexprs, the only globals a Triton kernel may read.
_Y_GAIN, _V_TO_R, _U_TO_G, _V_TO_G, _U_TO_B = (constexpr(k) for k in (Y_GAIN, V_TO_R, U_TO_G, V_TO_G, U_TO_B))
_YR, _YG, _YB = (constexpr(k) for k in RGB_TO_Y)
_UR, _UG, _UB = (constexpr(k) for k in RGB_TO_U)
_VR, _VG, _VB = (constexpr(k) for k in RGB_TO_V)


# ---- kernels ------------------------------------------------------------------------------------

@jit
def _source_index(dst, scale, size):
    # Half-pixel centres (align_corners=False): src = (dst + 0.5) * scale - 0.5, clamped at 0 as
    # torch does. Returns both taps and the weight of the second, for dst (BLOCK,) int32.
    src = tl.maximum((dst.to(tl.float32) + 0.5) * scale - 0.5, 0.0)
    i0 = tl.minimum(src.to(tl.int32), size - 1)  # src >= 0, so the cast floors
    frac = tl.minimum(tl.maximum(src - i0.to(tl.float32), 0.0), 1.0)
    i1 = tl.minimum(i0 + 1, size - 1)
    return i0, i1, frac


@jit
def _blend(p00, p01, p10, p11, wy, wx):
    # The order torch's CPU bilinear uses: rows first weighted across, then down.
    return (1.0 - wy) * ((1.0 - wx) * p00 + wx * p01) + wy * ((1.0 - wx) * p10 + wx * p11)


@jit
def _yuv_to_rgb(y, u, v):
    # fp32 BT.601 limited range -> RGB clamped to 0..255.
    # Tensor first in each product: the interpreter would keep `constexpr * tensor` a constexpr.
    luma = (y - 16.0) * _Y_GAIN
    u = u - 128.0
    v = v - 128.0
    r = luma + v * _V_TO_R
    g = luma + u * _U_TO_G + v * _V_TO_G
    b = luma + u * _U_TO_B
    return (tl.minimum(tl.maximum(r, 0.0), 255.0), tl.minimum(tl.maximum(g, 0.0), 255.0),
            tl.minimum(tl.maximum(b, 0.0), 255.0))


@jit
def _sample_rgb(x_ptr, s_c, s_h, s_w, y0, y1, wy, x0, x1, wx, mask):
    # Bilinear sample of a (3, h, w) [-1, 1] image as 0..255 RGB, fp32, unrounded.
    o00 = y0 * s_h + x0 * s_w
    o01 = y0 * s_h + x1 * s_w
    o10 = y1 * s_h + x0 * s_w
    o11 = y1 * s_h + x1 * s_w
    r = _blend(tl.load(x_ptr + o00, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + o01, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + o10, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + o11, mask=mask, other=0.0).to(tl.float32), wy, wx)
    g = _blend(tl.load(x_ptr + s_c + o00, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + s_c + o01, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + s_c + o10, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + s_c + o11, mask=mask, other=0.0).to(tl.float32), wy, wx)
    b = _blend(tl.load(x_ptr + 2 * s_c + o00, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + 2 * s_c + o01, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + 2 * s_c + o10, mask=mask, other=0.0).to(tl.float32),
               tl.load(x_ptr + 2 * s_c + o11, mask=mask, other=0.0).to(tl.float32), wy, wx)
    r = tl.minimum(tl.maximum((r + 1.0) * 127.5, 0.0), 255.0)
    g = tl.minimum(tl.maximum((g + 1.0) * 127.5, 0.0), 255.0)
    b = tl.minimum(tl.maximum((b + 1.0) * 127.5, 0.0), 255.0)
    return r, g, b


@jit
def _to_u8(v):
    # v already in 0..255: round half up.
    return tl.floor(v + 0.5).to(tl.uint8)


@jit
def _ingest_rgb_kernel(
    rgb_ptr, out_ptr,
    in_h, in_w, out_h, out_w,
    s_h, s_w, s_c,            # rgb (H, W, 3), any strides
    so_c, so_h, so_w,         # out (1, 3, out_h, out_w)
    scale_h, scale_w,
    BLOCK: tl.constexpr,
):
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over out_h * out_w
    mask = idx < out_h * out_w
    oy = idx // out_w
    ox = idx % out_w
    y0, y1, wy = _source_index(oy, scale_h, in_h)
    x0, x1, wx = _source_index(ox, scale_w, in_w)
    o00 = y0 * s_h + x0 * s_w
    o01 = y0 * s_h + x1 * s_w
    o10 = y1 * s_h + x0 * s_w
    o11 = y1 * s_h + x1 * s_w
    out = out_ptr + oy * so_h + ox * so_w
    for c in tl.static_range(3):
        v = _blend(tl.load(rgb_ptr + c * s_c + o00, mask=mask, other=0).to(tl.float32),
                   tl.load(rgb_ptr + c * s_c + o01, mask=mask, other=0).to(tl.float32),
                   tl.load(rgb_ptr + c * s_c + o10, mask=mask, other=0).to(tl.float32),
                   tl.load(rgb_ptr + c * s_c + o11, mask=mask, other=0).to(tl.float32), wy, wx)
        tl.store(out + c * so_c, (v / 127.5 - 1.0).to(out_ptr.dtype.element_ty), mask=mask)


@jit
def _ingest_i420_kernel(
    y_ptr, u_ptr, v_ptr, out_ptr,
    in_h, in_w, out_h, out_w,
    sy_h, sy_w, su_h, su_w, sv_h, sv_w,  # planes Y (H, W), U and V (ceil(H/2), ceil(W/2))
    so_c, so_h, so_w,                    # out (1, 3, out_h, out_w)
    scale_h, scale_w,
    BLOCK: tl.constexpr,
):
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over out_h * out_w
    mask = idx < out_h * out_w
    oy = idx // out_w
    ox = idx % out_w
    y0, y1, wy = _source_index(oy, scale_h, in_h)
    x0, x1, wx = _source_index(ox, scale_w, in_w)
    # Each of the four taps converted to RGB (and clamped) before blending, as the reference does.
    r00, g00, b00 = _yuv_to_rgb(tl.load(y_ptr + y0 * sy_h + x0 * sy_w, mask=mask, other=0).to(tl.float32),
                                tl.load(u_ptr + (y0 // 2) * su_h + (x0 // 2) * su_w, mask=mask, other=0).to(tl.float32),
                                tl.load(v_ptr + (y0 // 2) * sv_h + (x0 // 2) * sv_w, mask=mask, other=0).to(tl.float32))
    r01, g01, b01 = _yuv_to_rgb(tl.load(y_ptr + y0 * sy_h + x1 * sy_w, mask=mask, other=0).to(tl.float32),
                                tl.load(u_ptr + (y0 // 2) * su_h + (x1 // 2) * su_w, mask=mask, other=0).to(tl.float32),
                                tl.load(v_ptr + (y0 // 2) * sv_h + (x1 // 2) * sv_w, mask=mask, other=0).to(tl.float32))
    r10, g10, b10 = _yuv_to_rgb(tl.load(y_ptr + y1 * sy_h + x0 * sy_w, mask=mask, other=0).to(tl.float32),
                                tl.load(u_ptr + (y1 // 2) * su_h + (x0 // 2) * su_w, mask=mask, other=0).to(tl.float32),
                                tl.load(v_ptr + (y1 // 2) * sv_h + (x0 // 2) * sv_w, mask=mask, other=0).to(tl.float32))
    r11, g11, b11 = _yuv_to_rgb(tl.load(y_ptr + y1 * sy_h + x1 * sy_w, mask=mask, other=0).to(tl.float32),
                                tl.load(u_ptr + (y1 // 2) * su_h + (x1 // 2) * su_w, mask=mask, other=0).to(tl.float32),
                                tl.load(v_ptr + (y1 // 2) * sv_h + (x1 // 2) * sv_w, mask=mask, other=0).to(tl.float32))
    out = out_ptr + oy * so_h + ox * so_w
    dtype = out_ptr.dtype.element_ty
    tl.store(out, (_blend(r00, r01, r10, r11, wy, wx) / 127.5 - 1.0).to(dtype), mask=mask)
    tl.store(out + so_c, (_blend(g00, g01, g10, g11, wy, wx) / 127.5 - 1.0).to(dtype), mask=mask)
    tl.store(out + 2 * so_c, (_blend(b00, b01, b10, b11, wy, wx) / 127.5 - 1.0).to(dtype), mask=mask)


@jit
def _emit_rgb_kernel(
    x_ptr, out_ptr,
    in_h, in_w, out_h, out_w,
    s_c, s_h, s_w,            # x (1, 3, h, w), any strides
    so_h, so_w, so_c,         # out (out_h, out_w, 3) uint8
    scale_h, scale_w,
    BLOCK: tl.constexpr,
):
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over out_h * out_w
    mask = idx < out_h * out_w
    oy = idx // out_w
    ox = idx % out_w
    y0, y1, wy = _source_index(oy, scale_h, in_h)
    x0, x1, wx = _source_index(ox, scale_w, in_w)
    r, g, b = _sample_rgb(x_ptr, s_c, s_h, s_w, y0, y1, wy, x0, x1, wx, mask)
    out = out_ptr + oy * so_h + ox * so_w
    tl.store(out, _to_u8(r), mask=mask)
    tl.store(out + so_c, _to_u8(g), mask=mask)
    tl.store(out + 2 * so_c, _to_u8(b), mask=mask)


@jit
def _emit_i420_kernel(
    x_ptr, y_ptr, u_ptr, v_ptr,
    in_h, in_w, out_h, out_w,
    s_c, s_h, s_w,                       # x (1, 3, h, w), any strides
    sy_h, sy_w, su_h, su_w, sv_h, sv_w,  # Y (out_h, out_w), U and V (out_h/2, out_w/2)
    scale_h, scale_w,
    BLOCK: tl.constexpr,
):
    # One program element per chroma sample: its 2x2 luma pixels are resampled, written, and
    # averaged into U and V without leaving registers.
    half_w = out_w // 2
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over out_h/2 * out_w/2
    mask = idx < (out_h // 2) * half_w
    cy = idx // half_w
    cx = idx % half_w
    ya0, ya1, wya = _source_index(2 * cy, scale_h, in_h)
    yb0, yb1, wyb = _source_index(2 * cy + 1, scale_h, in_h)
    xa0, xa1, wxa = _source_index(2 * cx, scale_w, in_w)
    xb0, xb1, wxb = _source_index(2 * cx + 1, scale_w, in_w)
    r00, g00, b00 = _sample_rgb(x_ptr, s_c, s_h, s_w, ya0, ya1, wya, xa0, xa1, wxa, mask)
    r01, g01, b01 = _sample_rgb(x_ptr, s_c, s_h, s_w, ya0, ya1, wya, xb0, xb1, wxb, mask)
    r10, g10, b10 = _sample_rgb(x_ptr, s_c, s_h, s_w, yb0, yb1, wyb, xa0, xa1, wxa, mask)
    r11, g11, b11 = _sample_rgb(x_ptr, s_c, s_h, s_w, yb0, yb1, wyb, xb0, xb1, wxb, mask)
    luma = y_ptr + (2 * cy) * sy_h + (2 * cx) * sy_w
    tl.store(luma, _to_u8(r00 * _YR + g00 * _YG + b00 * _YB + 16.0), mask=mask)
    tl.store(luma + sy_w, _to_u8(r01 * _YR + g01 * _YG + b01 * _YB + 16.0), mask=mask)
    tl.store(luma + sy_h, _to_u8(r10 * _YR + g10 * _YG + b10 * _YB + 16.0), mask=mask)
    tl.store(luma + sy_h + sy_w, _to_u8(r11 * _YR + g11 * _YG + b11 * _YB + 16.0), mask=mask)
    r = (r00 + r01 + r10 + r11) * 0.25
    g = (g00 + g01 + g10 + g11) * 0.25
    b = (b00 + b01 + b10 + b11) * 0.25
    tl.store(u_ptr + cy * su_h + cx * su_w, _to_u8(r * _UR + g * _UG + b * _UB + 128.0), mask=mask)
    tl.store(v_ptr + cy * sv_h + cx * sv_w, _to_u8(r * _VR + g * _VG + b * _VB + 128.0), mask=mask)


# ---- references ---------------------------------------------------------------------------------

def ingest_rgb_reference(rgb: Tensor, size: tuple[int, int], dtype: torch.dtype = torch.float16,
                         out: Tensor | None = None) -> Tensor:
    _check_frame(rgb, (None, None, 3), "rgb")
    image = rgb.permute(2, 0, 1).unsqueeze(0).float().contiguous()  # (1, 3, H, W)
    return _store(_resize(image, size) / 127.5 - 1.0, dtype, out)


def ingest_i420_reference(y: Tensor, u: Tensor, v: Tensor, size: tuple[int, int],
                          dtype: torch.dtype = torch.float16, out: Tensor | None = None) -> Tensor:
    _check_planes(y, u, v)
    h, w = y.shape
    luma = (y.float() - 16.0) * Y_GAIN                                              # (H, W)
    u = u.float().repeat_interleave(2, 0).repeat_interleave(2, 1)[:h, :w] - 128.0   # (H, W)
    v = v.float().repeat_interleave(2, 0).repeat_interleave(2, 1)[:h, :w] - 128.0
    rgb = torch.stack([luma + v * V_TO_R, luma + u * U_TO_G + v * V_TO_G, luma + u * U_TO_B])
    image = rgb.clamp(0.0, 255.0).unsqueeze(0)                                       # (1, 3, H, W)
    return _store(_resize(image, size) / 127.5 - 1.0, dtype, out)


def emit_rgb_reference(x: Tensor, size: tuple[int, int], out: Tensor | None = None) -> Tensor:
    _check_image(x)
    rgb = _levels(_resize(x.float().contiguous(), size))[0].permute(1, 2, 0)  # (out_h, out_w, 3)
    return _store_u8(rgb, out)


def emit_i420_reference(x: Tensor, size: tuple[int, int],
                        out: tuple[Tensor, Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor, Tensor]:
    _check_image(x)
    _check_even(size)
    r, g, b = _levels(_resize(x.float().contiguous(), size))[0]  # each (out_h, out_w)
    luma = r * RGB_TO_Y[0] + g * RGB_TO_Y[1] + b * RGB_TO_Y[2] + 16.0

    def chroma_mean(c):  # (out_h/2, out_w/2), summed in the kernel's order
        return (c[0::2, 0::2] + c[0::2, 1::2] + c[1::2, 0::2] + c[1::2, 1::2]) * 0.25

    r, g, b = chroma_mean(r), chroma_mean(g), chroma_mean(b)
    cb = r * RGB_TO_U[0] + g * RGB_TO_U[1] + b * RGB_TO_U[2] + 128.0
    cr = r * RGB_TO_V[0] + g * RGB_TO_V[1] + b * RGB_TO_V[2] + 128.0
    out = (None, None, None) if out is None else out
    return _store_u8(luma, out[0]), _store_u8(cb, out[1]), _store_u8(cr, out[2])


# ---- Triton launches ----------------------------------------------------------------------------

def ingest_rgb_triton(rgb: Tensor, size: tuple[int, int], dtype: torch.dtype = torch.float16,
                      out: Tensor | None = None) -> Tensor:
    _check_frame(rgb, (None, None, 3), "rgb")
    (in_h, in_w, _), (out_h, out_w) = rgb.shape, size
    out = _output(out, (1, 3, out_h, out_w), dtype, rgb.device)
    n = out_h * out_w
    block = block_size(n, rgb.device)
    launchable(_ingest_rgb_kernel, rgb.device)[(triton.cdiv(n, block),)](
        rgb, out, in_h, in_w, out_h, out_w, *rgb.stride(), *out.stride()[1:],
        in_h / out_h, in_w / out_w, BLOCK=block,
    )
    return out


def ingest_i420_triton(y: Tensor, u: Tensor, v: Tensor, size: tuple[int, int],
                       dtype: torch.dtype = torch.float16, out: Tensor | None = None) -> Tensor:
    _check_planes(y, u, v)
    (in_h, in_w), (out_h, out_w) = y.shape, size
    out = _output(out, (1, 3, out_h, out_w), dtype, y.device)
    n = out_h * out_w
    block = block_size(n, y.device)
    launchable(_ingest_i420_kernel, y.device)[(triton.cdiv(n, block),)](
        y, u, v, out, in_h, in_w, out_h, out_w, *y.stride(), *u.stride(), *v.stride(), *out.stride()[1:],
        in_h / out_h, in_w / out_w, BLOCK=block,
    )
    return out


def emit_rgb_triton(x: Tensor, size: tuple[int, int], out: Tensor | None = None) -> Tensor:
    _check_image(x)
    (_, _, in_h, in_w), (out_h, out_w) = x.shape, size
    out = _output(out, (out_h, out_w, 3), torch.uint8, x.device)
    n = out_h * out_w
    block = block_size(n, x.device)
    launchable(_emit_rgb_kernel, x.device)[(triton.cdiv(n, block),)](
        x, out, in_h, in_w, out_h, out_w, *x.stride()[1:], *out.stride(),
        in_h / out_h, in_w / out_w, BLOCK=block,
    )
    return out


def emit_i420_triton(x: Tensor, size: tuple[int, int],
                     out: tuple[Tensor, Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor, Tensor]:
    _check_image(x)
    _check_even(size)
    (_, _, in_h, in_w), (out_h, out_w) = x.shape, size
    out = (None, None, None) if out is None else out
    luma = _output(out[0], (out_h, out_w), torch.uint8, x.device)
    cb = _output(out[1], (out_h // 2, out_w // 2), torch.uint8, x.device)
    cr = _output(out[2], (out_h // 2, out_w // 2), torch.uint8, x.device)
    n = (out_h // 2) * (out_w // 2)
    block = block_size(n, x.device, gpu_block=256)  # 4 pixels per element: fewer, busier threads
    launchable(_emit_i420_kernel, x.device)[(triton.cdiv(n, block),)](
        x, luma, cb, cr, in_h, in_w, out_h, out_w, *x.stride()[1:], *luma.stride(), *cb.stride(), *cr.stride(),
        in_h / out_h, in_w / out_w, BLOCK=block,
    )
    return luma, cb, cr


# ---- dispatchers --------------------------------------------------------------------------------

def ingest_rgb(rgb: Tensor, size: tuple[int, int], dtype: torch.dtype = torch.float16,
               out: Tensor | None = None, *, backend: str = "auto") -> Tensor:
    """uint8 RGB (H, W, 3), any strides -> (1, 3, out_h, out_w) `dtype` in [-1, 1], resized bilinearly."""
    impl = ingest_rgb_triton if use_triton(backend, *_present(rgb, out)) else ingest_rgb_reference
    return impl(rgb, size, dtype, out)


def ingest_i420(y: Tensor, u: Tensor, v: Tensor, size: tuple[int, int], dtype: torch.dtype = torch.float16,
                out: Tensor | None = None, *, backend: str = "auto") -> Tensor:
    """I420 planes (BT.601 limited range) -> (1, 3, out_h, out_w) `dtype` RGB in [-1, 1], resized bilinearly."""
    impl = ingest_i420_triton if use_triton(backend, *_present(y, u, v, out)) else ingest_i420_reference
    return impl(y, u, v, size, dtype, out)


def emit_rgb(x: Tensor, size: tuple[int, int], out: Tensor | None = None, *, backend: str = "auto") -> Tensor:
    """(1, 3, h, w) in [-1, 1] -> uint8 RGB (out_h, out_w, 3), resized bilinearly, rounded half up."""
    impl = emit_rgb_triton if use_triton(backend, *_present(x, out)) else emit_rgb_reference
    return impl(x, size, out)


def emit_i420(x: Tensor, size: tuple[int, int], out: tuple[Tensor, Tensor, Tensor] | None = None, *,
              backend: str = "auto") -> tuple[Tensor, Tensor, Tensor]:
    """(1, 3, h, w) in [-1, 1] -> I420 planes Y (out_h, out_w), U, V (out_h/2, out_w/2); even sizes only."""
    impl = emit_i420_triton if use_triton(backend, *_present(x, *(out or ()))) else emit_i420_reference
    return impl(x, size, out)


# ---- shared by both paths -----------------------------------------------------------------------

def _resize(image: Tensor, size: tuple[int, int]) -> Tensor:
    return F.interpolate(image, size=tuple(size), mode="bilinear", align_corners=False, antialias=False)


def _levels(x: Tensor) -> Tensor:
    return ((x + 1.0) * 127.5).clamp(0.0, 255.0)


def _store(value: Tensor, dtype: torch.dtype, out: Tensor | None) -> Tensor:
    return value.to(dtype) if out is None else out.copy_(value)


def _store_u8(levels: Tensor, out: Tensor | None) -> Tensor:
    rounded = torch.floor(levels.clamp(0.0, 255.0) + 0.5).to(torch.uint8)
    return rounded if out is None else out.copy_(rounded)


def _output(out: Tensor | None, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Tensor:
    if out is None:
        return torch.empty(shape, dtype=dtype, device=device)
    if tuple(out.shape) != shape:
        raise ValueError(f"out has shape {tuple(out.shape)}, expected {shape}")
    return out


def _present(*tensors: Tensor | None) -> list[Tensor]:
    return [t for t in tensors if t is not None]


def _check_frame(t: Tensor, shape: tuple, name: str) -> None:
    if t.dtype != torch.uint8 or t.dim() != len(shape) or any(s is not None and s != d for s, d in zip(shape, t.shape)):
        raise ValueError(f"{name} must be uint8 of shape {shape} (None: any), got {t.dtype} {tuple(t.shape)}")


def _check_planes(y: Tensor, u: Tensor, v: Tensor) -> None:
    _check_frame(y, (None, None), "y")
    chroma = ((y.shape[0] + 1) // 2, (y.shape[1] + 1) // 2)
    _check_frame(u, chroma, "u")
    _check_frame(v, chroma, "v")


def _check_image(x: Tensor) -> None:
    if x.dim() != 4 or x.shape[:2] != (1, 3) or not x.is_floating_point():
        raise ValueError(f"x must be a float (1, 3, h, w) image, got {x.dtype} {tuple(x.shape)}")


def _check_even(size: tuple[int, int]) -> None:
    if size[0] % 2 or size[1] % 2:
        raise ValueError(f"I420 needs even sides, got {tuple(size)}")
