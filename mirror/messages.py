"""Typed, versioned messages that come in on the wire (HTTP signalling and the data channel).

Everything that comes in is size-capped and validated here; anything else gets a clear error.
What goes out to the page is a typed event (mirror/events.py), at the same protocol version.
"""
from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 4096  # a typed command or a ping; anything bigger is garbage
MAX_SDP_CHARS = 32_000  # a browser offer with audio + video + data is ~5 KB
# Nesting allowed in JSON that comes in: our messages are flat objects. Deeper input is refused
# before parsing, since the json module recurses once per level (4 KB of "[" is a RecursionError).
MAX_OFFER_DEPTH = 4
MAX_MESSAGE_DEPTH = 4
TICKET_CHARS = 64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offer(_Strict):
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    type: Literal["offer"]
    ticket: str | None = Field(default=None, max_length=TICKET_CHARS)  # the queue ticket a 503 gave


class Answer(_Strict):
    sdp: str
    type: Literal["answer"] = "answer"
    session: str


# ---- page → server (data channel) ----
class CommandMessage(_Strict):
    """A typed command: the same path as a spoken utterance."""

    v: Literal[1] = 1
    type: Literal["command"]
    text: str = Field(min_length=1, max_length=500)


class PingMessage(_Strict):
    v: Literal[1] = 1
    type: Literal["ping"]
    t: float = Field(allow_inf_nan=False)


class ChooseOtherMessage(_Strict):
    """A tap on the "did you mean …?" chip: take the reading it offers."""

    v: Literal[1] = 1
    type: Literal["choose_other"]
    id: int = Field(ge=0, lt=2**31, strict=True)  # the did_you_mean event's id


ClientMessage = Annotated[Union[CommandMessage, PingMessage, ChooseOtherMessage], Field(discriminator="type")]
_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


class BadMessage(ValueError):
    """A data-channel message we refuse; the text goes back to the page as an error event."""


class BadJson(ValueError):
    """Input that is not JSON, or JSON we refuse (too deep, NaN, Infinity, numbers out of range)."""


# What matters for nesting: escapes (skipped whole), quotes (strings hide brackets) and brackets.
_TOKEN = re.compile(r'\\.|["\[\]{}]', re.S)


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """Whether brackets outside strings nest deeper than `max_depth`: one linear scan, no recursion."""
    depth = 0
    in_string = False
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token == '"':
            in_string = not in_string
        elif in_string or token[0] == "\\":
            continue
        elif token in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def load_json(raw: str | bytes, *, max_depth: int) -> Any:
    """json.loads for input from strangers: bounded depth, no NaN/Infinity (which json.dumps would
    echo back as invalid JSON), no float that overflows to infinity. Raises BadJson only."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError:
        raise BadJson("not UTF-8 text") from None
    if json_depth_exceeds(text, max_depth):
        raise BadJson(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise BadJson(exc.msg) from None
    except (ValueError, RecursionError) as exc:  # our refusals; an int too long to convert
        raise BadJson(str(exc) or type(exc).__name__) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def parse_client_message(raw: str | bytes) -> CommandMessage | PingMessage | ChooseOtherMessage:
    if isinstance(raw, bytes):
        if len(raw) > MAX_MESSAGE_BYTES:
            raise BadMessage(f"message too large ({len(raw)} bytes; limit {MAX_MESSAGE_BYTES})")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadMessage("message is not UTF-8 text") from None
    if len(raw) > MAX_MESSAGE_BYTES:
        raise BadMessage(f"message too large ({len(raw)} chars; limit {MAX_MESSAGE_BYTES})")
    try:
        data = load_json(raw, max_depth=MAX_MESSAGE_DEPTH)
    except BadJson as exc:
        raise BadMessage(f"message is not JSON we accept: {exc}") from None
    if not isinstance(data, dict):
        raise BadMessage("message must be a JSON object")
    if data.get("v") != PROTOCOL_VERSION:
        raise BadMessage(f"unsupported protocol version {data.get('v')!r}; this server speaks v{PROTOCOL_VERSION}")
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"][1:] if first["loc"][:1] == (data.get("type"),) else first["loc"]  # drop the union tag
        where = ".".join(str(p) for p in loc) or "message"
        raise BadMessage(f"invalid message: {where}: {first['msg']}") from None
