"""Prompt embeddings: encoded once per text, and slerped from one prompt to the next."""
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from mirror.render.diffusion.models import tiny_tokenizer  # noqa: E402
from mirror.render.diffusion.prompt import PromptBlend, PromptEncoder, slerp  # noqa: E402


def embeddings(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    a = torch.randn(1, 77, 32, generator=generator)
    b = torch.randn(1, 77, 32, generator=generator) * 2
    return a, b


def test_slerp_starts_and_ends_at_its_ends():
    a, b = embeddings()
    torch.testing.assert_close(slerp(a, b, 0.0), a)
    torch.testing.assert_close(slerp(a, b, 1.0), b)


def test_slerp_moves_the_direction_on_the_sphere_and_the_length_linearly():
    a, b = embeddings()
    mid = slerp(a, b, 0.5)
    torch.testing.assert_close(mid.norm(dim=-1), (a.norm(dim=-1) + b.norm(dim=-1)) / 2)
    angle = lambda x, y: torch.acos(torch.nn.functional.cosine_similarity(x, y, dim=-1).clamp(-1, 1))  # noqa: E731
    torch.testing.assert_close(angle(a, mid), angle(mid, b), atol=1e-4, rtol=1e-4)  # halfway along the arc


def test_slerp_of_equal_directions_is_a_straight_line():
    a, _ = embeddings()
    torch.testing.assert_close(slerp(a, 3 * a, 0.25), 1.5 * a)


def test_blend_reaches_the_target_in_exactly_its_frames_getting_closer_every_frame():
    a, b = embeddings()
    blend = PromptBlend(frames=4)
    blend.retarget(a)
    assert blend.next() is a  # the first prompt at once
    blend.retarget(b)
    distances = [float((blend.next() - b).norm()) for _ in range(4)]
    assert distances == sorted(distances, reverse=True) and distances[-1] == 0.0
    assert blend.next() is b and blend.settled


def test_a_change_mid_glide_starts_from_where_the_embedding_is():
    a, b = embeddings()
    c = -a
    blend = PromptBlend(frames=4)
    blend.retarget(a)
    blend.next()
    blend.retarget(b)
    halfway = blend.next().clone()
    blend.retarget(c)
    first = blend.next()
    assert float((first - halfway).norm()) < float((c - halfway).norm()) / 2  # no jump back to a, no jump to c


def test_each_text_is_encoded_once():
    tokenizer = tiny_tokenizer()
    from transformers import CLIPTextConfig, CLIPTextModel

    model = CLIPTextModel(CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37,
                                         num_hidden_layers=1, num_attention_heads=4, max_position_embeddings=77,
                                         bos_token_id=0, eos_token_id=1, pad_token_id=1))
    encoder = PromptEncoder(tokenizer, model, cache_size=2)
    first = encoder("a person in a castle")
    assert first.shape == (1, 77, 32)
    assert encoder("a person in a castle") is first
    other = encoder("a person in space")
    assert not torch.equal(first, other)
    encoder("a third prompt")  # the least recently used (the castle) leaves the cache
    assert encoder("a person in space") is other
    assert encoder("a person in a castle") is not first
