"""gpu_kernels.latent_step: the fused noise / x0 kernels against their torch references.

The Triton path runs under Triton's interpreter on CPU tensors (`backend="triton"`); shapes are
small except one 4K-frame-sized flat tensor, which the interpreter covers with large blocks.
The interpreter casts fp32 -> bf16 by truncation where the GPU rounds to nearest, so bf16 results
may differ from the reference by one bf16 step, within gpu_kernels.backend.tolerance.
"""
import math

import pytest
import torch

from gpu_kernels.backend import tolerance
from gpu_kernels.latent_step import add_noise, predict_x0

DTYPES = [torch.float32, torch.float16, torch.bfloat16]
SHAPES = {
    "sd_latent": (1, 4, 64, 64),
    "odd": (2, 3, 37, 53),
    "one": (1, 1, 1, 1),
}
FLAT_4K = (3840 * 2160,)  # one 4K frame's worth of elements, fp16 only: the interpreter takes ~1 s


def randn(shape, dtype, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(dtype)


def assert_matches(actual, expected):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    torch.testing.assert_close(actual.float(), expected.float(), **tolerance(expected.dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_add_noise_matches_reference(shape, dtype):
    latent, eps, prev = randn(shape, dtype, 1), randn(shape, dtype, 2), randn(shape, dtype, 3)
    for prev_arg, feedback in ((None, 0.0), (prev, 0.35)):
        expected = add_noise(latent, eps, 0.41, prev_arg, feedback, backend="torch")
        assert_matches(add_noise(latent, eps, 0.41, prev_arg, feedback, backend="triton"), expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_predict_x0_matches_reference(shape, prediction_type, dtype):
    x_t, model_out = randn(shape, dtype, 4), randn(shape, dtype, 5)
    expected = predict_x0(x_t, model_out, 0.41, prediction_type, backend="torch")
    assert_matches(predict_x0(x_t, model_out, 0.41, prediction_type, backend="triton"), expected)


def test_latent_step_matches_reference_on_a_4k_sized_flat_tensor():
    latent, eps, prev = randn(FLAT_4K, torch.float16, 1), randn(FLAT_4K, torch.float16, 2), randn(FLAT_4K, torch.float16, 3)
    assert_matches(add_noise(latent, eps, 0.41, prev, 0.35, backend="triton"),
                   add_noise(latent, eps, 0.41, prev, 0.35, backend="torch"))
    assert_matches(predict_x0(latent, eps, 0.41, backend="triton"), predict_x0(latent, eps, 0.41, backend="torch"))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_add_noise_matches_reference_on_non_contiguous_inputs_and_output(dtype):
    latent = randn((2, 4, 40, 70), dtype, 1)[:, :, 3:40:2, 5:60]   # strided crop, (2, 4, 19, 55)
    eps = randn((2, 4, 55, 19), dtype, 2).transpose(2, 3)           # transposed
    prev = randn((4, 2, 19, 55), dtype, 3).transpose(0, 1)          # batch and channel swapped
    out = torch.empty((2, 4, 19, 110), dtype=dtype)[..., ::2]
    expected = add_noise(latent, eps, 0.6, prev, 0.5, backend="torch")
    result = add_noise(latent, eps, 0.6, prev, 0.5, out=out, backend="triton")
    assert result.data_ptr() == out.data_ptr()
    assert_matches(out, expected)


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_predict_x0_matches_reference_on_non_contiguous_inputs(prediction_type):
    x_t = randn((1, 4, 33, 65), torch.float16, 4)[..., ::2]          # (1, 4, 33, 33), stride 2
    model_out = randn((1, 33, 33, 4), torch.float16, 5).permute(0, 3, 1, 2)  # channels-last
    expected = predict_x0(x_t, model_out, 0.9, prediction_type, backend="torch")
    assert_matches(predict_x0(x_t, model_out, 0.9, prediction_type, backend="triton"), expected)


def test_predict_x0_inverts_add_noise_for_both_prediction_types():
    x0, eps = randn((1, 4, 16, 16), torch.float32, 6), randn((1, 4, 16, 16), torch.float32, 7)
    ab = 0.3
    x_t = add_noise(x0, eps, ab)
    torch.testing.assert_close(predict_x0(x_t, eps, ab, "epsilon"), x0, rtol=1e-5, atol=1e-5)
    v = math.sqrt(ab) * eps - math.sqrt(1 - ab) * x0
    torch.testing.assert_close(predict_x0(x_t, v, ab, "v_prediction"), x0, rtol=1e-5, atol=1e-5)


def test_add_noise_feedback_blends_the_previous_latent():
    latent, eps, prev = (randn((1, 4, 8, 8), torch.float32, s) for s in (1, 2, 3))
    # alpha_bar = 1 leaves the blend without noise.
    torch.testing.assert_close(add_noise(latent, eps, 1.0, prev, 0.0), latent)
    torch.testing.assert_close(add_noise(latent, eps, 1.0, prev, 1.0), prev)
    torch.testing.assert_close(add_noise(latent, eps, 1.0, prev, 0.25), 0.75 * latent + 0.25 * prev)
    torch.testing.assert_close(add_noise(latent, eps, 0.0), eps)


def test_references_agree_with_diffusers_schedulers():
    diffusers = pytest.importorskip("diffusers")
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=1000, clip_sample=False)
    t = 250
    ab = float(scheduler.alphas_cumprod[t])
    x0, eps = randn((1, 4, 8, 8), torch.float32, 8), randn((1, 4, 8, 8), torch.float32, 9)
    x_t = scheduler.add_noise(x0, eps, torch.tensor([t]))
    torch.testing.assert_close(add_noise(x0, eps, ab), x_t, rtol=1e-5, atol=1e-5)
    step = scheduler.step(eps, t, x_t, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(predict_x0(x_t, eps, ab), step.pred_original_sample, rtol=1e-5, atol=1e-5)


def test_computation_is_fp32_even_for_fp16_latents():
    # In fp16 the three roundings of eager arithmetic would show; in fp32 only the final store does.
    latent, eps = randn((4096,), torch.float16, 1), randn((4096,), torch.float16, 2)
    exact = (math.sqrt(0.5) * latent.double() + math.sqrt(0.5) * eps.double()).to(torch.float16)
    assert_matches(add_noise(latent, eps, 0.5, backend="triton"), exact)


def test_output_dtype_follows_out():
    latent, eps = randn((1, 4, 8, 8), torch.float16, 1), randn((1, 4, 8, 8), torch.float16, 2)
    out = torch.empty((1, 4, 8, 8), dtype=torch.float32)
    add_noise(latent, eps, 0.5, out=out, backend="triton")
    torch.testing.assert_close(out, add_noise(latent.float(), eps.float(), 0.5), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_bad_arguments_are_refused(backend):
    latent = torch.zeros(1, 4, 8, 8)
    with pytest.raises(ValueError, match="shape"):
        add_noise(latent, torch.zeros(1, 4, 8, 9), 0.5, backend=backend)
    with pytest.raises(ValueError, match="prediction_type"):
        predict_x0(latent, latent, 0.5, "sample", backend=backend)
