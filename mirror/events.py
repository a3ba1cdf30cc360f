"""What a session's parts say, as typed events, and the outbox that carries them (one per session).

    any part, any thread ──publish(event)──▶ Outbox ──on the event loop, in order──▶ subscribers

Page events (`PageEvent`: one dataclass per kind the page's script handles) go to the page over
the data channel, sent by mirror/session/page.py alone as {"v": 1, "type": kind, …fields}. The
others pass between the session's parts: an utterance heard, an action asked for, a frame sent.
No part calls another or writes another's attributes; each subscribes to what it reacts to.

A part on a worker thread (the quality loop, the speech listener, the clip recorder) publishes
the same way: the outbox hands the event to the loop (`call_soon_threadsafe`, here and in
mirror/frames/slot.py only). Events published on the loop are handed out at once, so a frame's
`FrameSent` reaches the recorder before the next frame is sent. This module imports no asyncio,
so the frame path's threads (mirror/frames/) may publish.
"""
from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar

if TYPE_CHECKING:
    from mirror.frames.pipeline import Frame
    from speech import Utterance

from mirror.messages import PROTOCOL_VERSION

log = logging.getLogger(__name__)

E = TypeVar("E", bound="Event")


class Event:
    """Anything a session's part says."""


# ---------------------------------------------------------------- server → page
@dataclass(frozen=True)
class PageEvent(Event):
    """An event the page gets. Fields that are None are left out of the message."""

    kind: ClassVar[str]

    def to_wire(self) -> str:
        payload = {"v": PROTOCOL_VERSION, "type": self.kind,
                   **{f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}}
        try:
            return json.dumps(payload, separators=(",", ":"), default=_jsonable, allow_nan=False)
        except ValueError:  # a NaN or infinity somewhere: JSON has no word for it, so it goes as null
            return json.dumps(_finite(json.loads(json.dumps(payload, default=_jsonable))), separators=(",", ":"))


@dataclass(frozen=True)
class Hello(PageEvent):
    """The first event a page gets: who it is talking to, what runs, the scene so far."""

    kind: ClassVar[str] = "hello"
    session: str
    stages: list[str]
    speech: bool
    scene: dict
    kiosk: bool | None = None  # kiosk mode only: the page starts on its attract screen…
    presence: str | None = None  # …unless someone is in front already


@dataclass(frozen=True)
class Notice(PageEvent):
    kind: ClassVar[str] = "notice"
    text: str


@dataclass(frozen=True)
class Error(PageEvent):
    kind: ClassVar[str] = "error"
    text: str


@dataclass(frozen=True)
class Listening(PageEvent):
    """Someone started talking: the page shows that it listens."""

    kind: ClassVar[str] = "listening"


@dataclass(frozen=True)
class Caption(PageEvent):
    """What was said or typed, before it is understood."""

    kind: ClassVar[str] = "caption"
    text: str
    source: str  # "typed" | "voice"
    timings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SceneChanged(PageEvent):
    """The scene after a command (world.Interpretation.to_event()), or after a kiosk reset."""

    kind: ClassVar[str] = "scene"
    source: str  # "typed" | "voice" | "reset"
    utterance: str  # what was understood
    changed: bool
    changes: list[str]
    explain: str
    scene: dict
    not_drawn: list[dict] = field(default_factory=list)
    heard: str | None = None  # what whisper heard, when it differs from what was understood
    timings: dict | None = None  # voice: end of speech → this event


@dataclass(frozen=True)
class DidYouMean(PageEvent):
    """A spoken command was applied, but whisper's readings nearly said another thing that makes
    another scene: the page offers it ("did you mean Monet?") for `seconds`. Saying "yes", "the
    other one" or its name, or a tap (a `choose_other` message with this `id`), switches to it as
    one undoable edit (mirror/session/commands.py)."""

    kind: ClassVar[str] = "did_you_mean"
    id: int
    other: str  # what the other reading names ("Monet"), or the whole reading
    seconds: float


@dataclass(frozen=True)
class Pong(PageEvent):
    kind: ClassVar[str] = "pong"
    t: float
    stats: dict


@dataclass(frozen=True)
class Quality(PageEvent):
    """The output size stepped: the page sends its camera at this box."""

    kind: ClassVar[str] = "quality"
    box: list[int]
    direction: str  # "down" | "up"


@dataclass(frozen=True)
class PresenceChanged(PageEvent):
    """Kiosk: someone came ("present") or left ("absent")."""

    kind: ClassVar[str] = "presence"
    state: str


@dataclass(frozen=True)
class Recording(PageEvent):
    kind: ClassVar[str] = "recording"
    state: str  # countdown | recording | saving | idle | failed
    seconds: float | None = None  # countdown
    max_seconds: float | None = None  # recording
    text: str | None = None  # failed: why


@dataclass(frozen=True)
class ClipReady(PageEvent):
    kind: ClassVar[str] = "clip"
    id: str
    url: str
    page: str
    qr: str
    thumbnail: str
    secret: str
    duration_s: float


@dataclass(frozen=True)
class Draining(PageEvent):
    """This mirror is restarting (SIGTERM, a rolling update): the session ends within `seconds`, and
    the page then connects again, through the balancer, to a mirror that stays."""

    kind: ClassVar[str] = "draining"
    seconds: float


# ---------------------------------------------------------------- between a session's parts
@dataclass(frozen=True)
class CommandTyped(Event):
    text: str


@dataclass(frozen=True)
class PingReceived(Event):
    t: float


@dataclass(frozen=True)
class OtherChosen(Event):
    """The page's "did you mean …?" chip was tapped."""

    id: int  # the DidYouMean it answers


@dataclass(frozen=True)
class SpeechStarted(Event):
    """The listener's VAD heard speech begin (speech thread)."""


@dataclass(frozen=True)
class UtteranceHeard(Event):
    utterance: "Utterance"


@dataclass(frozen=True)
class ActionAsked(Event):
    """A command that is a thing to do, not a scene edit (world.actions: record_start, record_stop)."""

    action: str


@dataclass(frozen=True)
class FrameReceived(Event):
    at: float  # time.monotonic()


@dataclass(frozen=True)
class FrameSent(Event):
    frame: "Frame"  # timings["sent_at"] set


@dataclass(frozen=True)
class VisitorLeft(Event):
    """Kiosk: the person in front has been gone long enough that their scene is forgotten."""


@dataclass(frozen=True)
class PeerEnded(Event):
    reason: str  # why the peer connection ended: ice_failed, connection_failed, connection_closed


# ---------------------------------------------------------------- the outbox
class Outbox:
    def __init__(self, loop, session: str = "") -> None:
        """loop: the session's asyncio event loop; built on it."""
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._session = session
        self._subscribers: dict[type, list[Callable[[Any], None]]] = {}
        self.closed = False

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> None:
        """`handler(event)` on the event loop for every event of `kind` (or a subclass of it)."""
        self._subscribers.setdefault(kind, []).append(handler)

    def publish(self, event: Event) -> bool:
        """From any thread. After `close()`, nothing is handed out. On the loop the event is handed
        out at once, and False says a subscriber failed on it (the page answers with an error)."""
        if self.closed:
            return True
        if threading.get_ident() == self._loop_thread:
            return self._dispatch(event)
        try:
            self._loop.call_soon_threadsafe(self._dispatch, event)
        except RuntimeError:  # the loop is closed: the server is shutting down, nobody is left to tell
            pass
        return True

    def close(self) -> None:
        self.closed = True

    def _dispatch(self, event: Event) -> bool:
        ok = True
        if self.closed:
            return ok
        for kind in type(event).__mro__:
            for handler in self._subscribers.get(kind, ()):
                try:
                    handler(event)
                except Exception:  # one part failing on an event must not keep it from the others
                    ok = False
                    log.exception("session %s: handling %s failed", self._session, type(event).__name__)
        return ok


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
