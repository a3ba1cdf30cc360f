"""gpu_kernels.frame_io: frames in (RGB, I420) and out (RGB, I420) against the references and PyAV.

The Triton path runs under Triton's interpreter on CPU tensors (`backend="triton"`). Its cost grows
with the output's pixels, so the large cases are a 4K frame in to a small picture (the kernel reads
only the pixels it samples) and a 1080p frame out from a small picture, not 4K out.
"""
import av
import numpy as np
import pytest
import torch

from gpu_kernels.backend import tolerance
from gpu_kernels.frame_io import emit_i420, emit_rgb, ingest_i420, ingest_rgb

DTYPES = [torch.float32, torch.float16, torch.bfloat16]
# (in_h, in_w) -> (out_h, out_w)
RESIZES = {
    "odd_down": ((37, 53), (20, 30)),
    "odd_up": ((37, 53), (80, 64)),
    "same": ((24, 32), (24, 32)),
    "one_to_many": ((1, 1), (5, 7)),
    "many_to_one": ((64, 48), (1, 1)),
}
EVEN_RESIZES = {  # I420 out needs even sides
    "odd_in_down": ((37, 53), (20, 30)),
    "odd_in_up": ((37, 53), (80, 64)),
    "same": ((24, 32), (24, 32)),
    "one_to_two": ((1, 1), (2, 2)),
}


def generator(seed):
    return torch.Generator().manual_seed(seed)


def random_rgb(h, w, seed=0):
    return torch.randint(0, 256, (h, w, 3), dtype=torch.uint8, generator=generator(seed))


def random_planes(h, w, seed=0):
    g = generator(seed)
    ch, cw = (h + 1) // 2, (w + 1) // 2
    return (torch.randint(0, 256, (h, w), dtype=torch.uint8, generator=g),
            torch.randint(0, 256, (ch, cw), dtype=torch.uint8, generator=g),
            torch.randint(0, 256, (ch, cw), dtype=torch.uint8, generator=g))


def random_image(h, w, dtype=torch.float32, seed=0):
    # A little beyond [-1, 1] so that clamping is exercised.
    return (torch.rand((1, 3, h, w), generator=generator(seed)) * 2.2 - 1.1).to(dtype)


def smooth_rgb(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    # About two levels per pixel at most, as a camera picture away from edges: 4:2:0 keeps it.
    rgb = np.stack([np.sin(x / 41 + y / 53), np.cos(x / 47 - y / 37), np.sin((x + y) / 59 + 1)], axis=-1)
    return torch.from_numpy((127.5 + 100 * rgb).round().astype(np.uint8))


def assert_matches(actual, expected):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    torch.testing.assert_close(actual.float(), expected.float(), **tolerance(expected.dtype))


def assert_levels_match(actual, expected):
    """uint8: at most one level apart, and then only where fp32 rounding ties (almost nowhere)."""
    assert actual.dtype == expected.dtype == torch.uint8 and actual.shape == expected.shape
    diff = (actual.int() - expected.int()).abs()
    assert diff.max().item() <= 1
    assert (diff > 0).float().mean().item() <= 1e-3


def i420_frame(y, u, v):
    """A yuv420p av.VideoFrame from planes (even sides)."""
    h, w = y.shape
    return av.VideoFrame.from_ndarray(
        np.concatenate([y.numpy(), u.numpy().reshape(-1, w), v.numpy().reshape(-1, w)]), format="yuv420p")


# ---- ingest_rgb ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("src,size", RESIZES.values(), ids=RESIZES.keys())
def test_ingest_rgb_matches_reference_on_odd_sizes(src, size, dtype):
    rgb = random_rgb(*src)
    assert_matches(ingest_rgb(rgb, size, dtype, backend="triton"), ingest_rgb(rgb, size, dtype, backend="torch"))


def test_ingest_rgb_matches_reference_from_a_4k_frame():
    rgb = random_rgb(2160, 3840)
    assert_matches(ingest_rgb(rgb, (96, 160), backend="triton"), ingest_rgb(rgb, (96, 160), backend="torch"))


@pytest.mark.parametrize("view", ["crop", "transposed", "planar"])
def test_ingest_rgb_matches_reference_on_non_contiguous_frames(view):
    if view == "crop":
        rgb = random_rgb(60, 80)[7:44, 11:64]                      # row stride 240, (37, 53, 3)
    elif view == "transposed":
        rgb = random_rgb(53, 37).transpose(0, 1)                   # (37, 53, 3), columns first
    else:
        rgb = torch.randint(0, 256, (3, 37, 53), dtype=torch.uint8, generator=generator(1)).permute(1, 2, 0)
    out = torch.empty((1, 3, 20, 60), dtype=torch.float16)[..., ::2]
    ingest_rgb(rgb, (20, 30), out=out, backend="triton")
    assert_matches(out, ingest_rgb(rgb, (20, 30), backend="torch"))


def test_ingest_rgb_maps_levels_to_minus_one_one():
    for dtype in DTYPES:
        white = ingest_rgb(torch.full((37, 53, 3), 255, dtype=torch.uint8), (20, 30), dtype)
        black = ingest_rgb(torch.zeros((37, 53, 3), dtype=torch.uint8), (20, 30), dtype)
        torch.testing.assert_close(white, torch.ones_like(white), rtol=0, atol=1e-6)
        assert black.eq(-1).all()
    mid = ingest_rgb(torch.full((4, 4, 3), 51, dtype=torch.uint8), (4, 4), torch.float32)
    torch.testing.assert_close(mid, torch.full_like(mid, 51 / 127.5 - 1))


def test_ingest_rgb_resizes_like_interpolate():
    rgb = random_rgb(37, 53)
    expected = torch.nn.functional.interpolate(rgb.permute(2, 0, 1)[None].double(), size=(20, 30),
                                               mode="bilinear", align_corners=False)
    torch.testing.assert_close(ingest_rgb(rgb, (20, 30), torch.float32).double(), expected / 127.5 - 1,
                               rtol=0, atol=1e-5)


# ---- ingest_i420 --------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("src,size", RESIZES.values(), ids=RESIZES.keys())
def test_ingest_i420_matches_reference_on_odd_sizes(src, size, dtype):
    y, u, v = random_planes(*src)
    assert_matches(ingest_i420(y, u, v, size, dtype, backend="triton"),
                   ingest_i420(y, u, v, size, dtype, backend="torch"))


def test_ingest_i420_matches_reference_from_a_4k_frame():
    y, u, v = random_planes(2160, 3840)
    assert_matches(ingest_i420(y, u, v, (96, 160), backend="triton"),
                   ingest_i420(y, u, v, (96, 160), backend="torch"))


def test_ingest_i420_matches_reference_on_padded_planes():
    # Decoders hand out planes whose rows are padded to an aligned linesize.
    y = random_planes(37, 64)[0][:, :53]
    u, v = (p[:, :27] for p in random_planes(38, 64, seed=1)[1:])   # (19, 27) of (19, 32)
    out = torch.empty((1, 20, 30, 3), dtype=torch.float32).permute(0, 3, 1, 2)  # channels-last out
    ingest_i420(y, u, v, (20, 30), torch.float32, out=out, backend="triton")
    assert_matches(out, ingest_i420(y, u, v, (20, 30), torch.float32, backend="torch"))


def test_ingest_i420_matches_pyav_rgb24():
    rgb = smooth_rgb(48, 64)
    for y, u, v in (random_planes(48, 64), [torch.from_numpy(p) for p in _planes_of(rgb)]):
        pyav = torch.from_numpy(i420_frame(y, u, v).to_ndarray(format="rgb24")).float()
        ours = (ingest_i420(y, u, v, (48, 64), torch.float32)[0].permute(1, 2, 0) + 1) * 127.5
        diff = (ours - pyav).abs()
        # swscale's fixed-point converter drops fractions (its green runs about a level low).
        assert diff.max().item() <= 3.5 and diff.mean().item() <= 1.5


def test_ingest_i420_matches_opencv_within_a_level():
    cv2 = pytest.importorskip("cv2")  # mirror.rtc.yuv converts decoded frames with OpenCV
    y, u, v = (p.clamp(16, 235) for p in random_planes(48, 64))  # legal levels
    opencv = cv2.cvtColor(np.concatenate([y.numpy(), u.numpy().reshape(-1, 64), v.numpy().reshape(-1, 64)]),
                          cv2.COLOR_YUV2RGB_I420)
    ours = (ingest_i420(y, u, v, (48, 64), torch.float32)[0].permute(1, 2, 0) + 1) * 127.5
    assert (ours - torch.from_numpy(opencv).float()).abs().max().item() <= 1.0


def _planes_of(rgb):
    frame = av.VideoFrame.from_ndarray(rgb.numpy(), format="rgb24").reformat(format="yuv420p")
    return [np.ascontiguousarray(frame.to_ndarray()[a:b].reshape(s)) for a, b, s in (
        (0, 48, (48, 64)), (48, 60, (24, 32)), (60, 72, (24, 32)))]


# ---- emit_rgb -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("src,size", RESIZES.values(), ids=RESIZES.keys())
def test_emit_rgb_matches_reference_on_odd_sizes(src, size, dtype):
    x = random_image(*src, dtype=dtype)
    assert_levels_match(emit_rgb(x, size, backend="triton"), emit_rgb(x, size, backend="torch"))


def test_emit_rgb_matches_reference_to_1080p():
    x = random_image(64, 64, torch.float16)
    assert_levels_match(emit_rgb(x, (1080, 1920), backend="triton"), emit_rgb(x, (1080, 1920), backend="torch"))


def test_emit_rgb_matches_reference_on_non_contiguous_input_and_output():
    x = random_image(53, 37).transpose(2, 3)                  # (1, 3, 37, 53), transposed
    out = torch.empty((3, 20, 30), dtype=torch.uint8).permute(1, 2, 0)  # planar memory
    emit_rgb(x, (20, 30), out=out, backend="triton")
    assert_levels_match(out, emit_rgb(x, (20, 30), backend="torch"))


def test_emit_rgb_round_trips_ingest_rgb_at_the_same_size():
    rgb = random_rgb(37, 53)
    for dtype in DTYPES:
        back = emit_rgb(ingest_rgb(rgb, (37, 53), dtype), (37, 53))
        limit = 0 if dtype == torch.float32 else 1  # fp16 / bf16 hold 255 levels only near zero
        assert (back.int() - rgb.int()).abs().max().item() <= limit


def test_emit_rgb_rounds_half_up_and_clamps():
    # x = 0 is level 127.5 exactly (the only exact tie in fp32); the others are 0.02 off a tie.
    levels = torch.tensor([-3.0, 0.0, 0.48, 0.52, 126.48, 127.5, 254.48, 254.52, 300.0], dtype=torch.float64)
    x = (levels / 127.5 - 1).reshape(1, 1, 1, -1).expand(1, 3, 1, -1).float()
    for backend in ("torch", "triton"):
        rgb = emit_rgb(x, (1, len(levels)), backend=backend)
        assert rgb[0, :, 0].tolist() == [0, 0, 0, 1, 126, 128, 254, 255, 255]


# ---- emit_i420 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("src,size", EVEN_RESIZES.values(), ids=EVEN_RESIZES.keys())
def test_emit_i420_matches_reference_on_odd_sizes(src, size, dtype):
    x = random_image(*src, dtype=dtype)
    for ours, ref in zip(emit_i420(x, size, backend="triton"), emit_i420(x, size, backend="torch")):
        assert_levels_match(ours, ref)


def test_emit_i420_matches_reference_to_1080p():
    x = random_image(64, 64, torch.float16)
    for ours, ref in zip(emit_i420(x, (1080, 1920), backend="triton"), emit_i420(x, (1080, 1920), backend="torch")):
        assert_levels_match(ours, ref)


def test_emit_i420_matches_reference_into_an_encoder_buffer_from_a_strided_image():
    x = random_image(37, 53 * 2)[..., ::2]                    # (1, 3, 37, 53), column stride 2
    # One yuv420p buffer with padded chroma rows, as an encoder's frame holds its planes.
    buffer = torch.zeros(20 * 30 + 2 * 10 * 16, dtype=torch.uint8)
    y = buffer[:600].view(20, 30)
    u = buffer[600:760].view(10, 16)[:, :15]
    v = buffer[760:].view(10, 16)[:, :15]
    emit_i420(x, (20, 30), out=(y, u, v), backend="triton")
    for ours, ref in zip((y, u, v), emit_i420(x, (20, 30), backend="torch")):
        assert_levels_match(ours, ref)
    assert buffer[600:760].view(10, 16)[:, 15:].eq(0).all()   # padding untouched


def test_emit_i420_through_pyav_gives_back_the_picture():
    rgb = smooth_rgb(48, 64)
    x = ingest_rgb(rgb, (48, 64), torch.float32)
    decoded = torch.from_numpy(i420_frame(*emit_i420(x, (48, 64))).to_ndarray(format="rgb24"))
    diff = (decoded.int() - rgb.int()).abs().float()
    # 4:2:0 halves chroma resolution and swscale's converter drops fractions: a level or so.
    assert diff.mean().item() <= 1.5 and diff.max().item() <= 6


def test_emit_i420_and_ingest_i420_are_inverse_matrices():
    rgb = smooth_rgb(48, 64)
    x = ingest_rgb(rgb, (48, 64), torch.float32)
    back = ingest_i420(*emit_i420(x, (48, 64)), (48, 64), torch.float32)
    assert ((back - x).abs() * 127.5).mean().item() <= 1.0


def test_emit_i420_of_grey_is_neutral_chroma():
    x = torch.zeros(1, 3, 6, 8)  # level 127.5
    y, u, v = emit_i420(x, (6, 8), backend="triton")
    assert y.eq(16 + round(127.5 * 219 / 255)).all() and u.eq(128).all() and v.eq(128).all()
    y, u, v = emit_i420(torch.ones(1, 3, 6, 8), (6, 8))
    assert y.eq(235).all() and u.eq(128).all() and v.eq(128).all()


def test_emit_i420_refuses_odd_sizes():
    for backend in ("torch", "triton"):
        with pytest.raises(ValueError, match="even"):
            emit_i420(torch.zeros(1, 3, 8, 8), (7, 8), backend=backend)
