"""Typed, versioned messages on the wire (HTTP signalling and the data channel).

Everything that comes in is size-capped and validated here; anything else gets a clear error.
"""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 4096  # a typed command or a ping; anything bigger is garbage
MAX_SDP_CHARS = 32_000  # a browser offer with audio + video + data is ~5 KB


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offer(_Strict):
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    type: Literal["offer"]


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
    t: float


ClientMessage = Annotated[Union[CommandMessage, PingMessage], Field(discriminator="type")]
_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


class BadMessage(ValueError):
    """A data-channel message we refuse; the text goes back to the page as an error event."""


def parse_client_message(raw: str | bytes) -> CommandMessage | PingMessage:
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
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadMessage(f"message is not JSON: {exc.msg}") from None
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


# ---- server → page (data channel) ----
def event(kind: str, **fields: Any) -> str:
    """Serialise a server event: {"v": 1, "type": kind, ...}."""
    return json.dumps({"v": PROTOCOL_VERSION, "type": kind, **fields}, separators=(",", ":"), default=_jsonable)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
