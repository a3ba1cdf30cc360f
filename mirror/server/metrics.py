"""Prometheus metrics for the running mirror, exported at /metrics.

Per-session series carry a `session` label and are removed when the session ends, so the label
set stays bounded by the number of live sessions.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mirror.server.log_limit import RepeatLimit

# Frame latencies are tens of milliseconds; buckets resolve a few ms around one frame (33 ms).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.033, 0.04, 0.05, 0.066, 0.1, 0.15, 0.25, 0.5, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.sessions_active = Gauge("mirror_sessions_active", "Peer connections being served", registry=r)
        self.sessions_total = Counter("mirror_sessions_total", "Peer connections accepted", registry=r)
        self.offers_rejected = Counter("mirror_offers_rejected_total", "Offers refused", ["reason"], registry=r)
        self.frames_in = Counter("mirror_frames_in_total", "Video frames received", ["session"], registry=r)
        self.frames_out = Counter("mirror_frames_out_total", "Video frames sent", ["session"], registry=r)
        self.frames_dropped = Counter(
            "mirror_frames_dropped_total", "Frames replaced in a latest-frame slot before use", ["session", "slot"],
            registry=r,
        )
        self.frame_latency = Histogram(
            "mirror_frame_latency_seconds", "Server latency of a frame: received (decoded) to handed to the encoder",
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.stage_seconds = Histogram(
            "mirror_stage_seconds", "Time spent in one pipeline step for one frame", ["stage"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.stage_errors = Counter("mirror_stage_errors_total", "Frames a stage failed on (skipped)", ["stage"], registry=r)
        self.utterances = Counter("mirror_utterances_total", "Utterances transcribed", registry=r)
        self.utterance_latency = Histogram(
            "mirror_utterance_latency_seconds", "End of speech to text",
            buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 5.0), registry=r,
        )
        self.scene_edits = Counter("mirror_scene_edits_total", "Utterances that changed the scene", registry=r)
        self.bad_messages = Counter("mirror_bad_messages_total", "Malformed data-channel messages", registry=r)
        self.clips = Counter("mirror_clips_total", "Recordings finished, by result (saved, failed)", ["result"],
                             registry=r)
        self.recorder_frames_dropped = Counter(
            "mirror_recorder_frames_dropped_total", "Frames and audio the recorder dropped because it fell behind",
            registry=r)
        self.quality_steps = Counter("mirror_quality_steps_total", "Output size changes by the quality loop",
                                     ["direction"], registry=r)
        self.output_height = Gauge("mirror_output_height", "The largest output height the quality loop allows now",
                                   registry=r)
        # What each session renders and sends now, whatever changed it: a quality step, or the
        # camera's own size (a browser lowers what it sends under CPU load before the loop steps).
        self.render_width = Gauge("mirror_render_width", "Width of the frames a session renders and sends now",
                                  ["session"], registry=r)
        self.render_height = Gauge("mirror_render_height", "Height of the frames a session renders and sends now",
                                   ["session"], registry=r)
        self.render_size_changes = Counter(
            "mirror_render_size_changes_total",
            "Changes of a session's rendered size, by cause (quality: a step of the loop; camera: the camera's size)",
            ["cause"], registry=r)
        # ---- admission, lifetimes, limits (mirror/server/admission.py, mirror/server/lifetime.py) ----
        self.session_cap = Gauge("mirror_session_cap", "Sessions served at once; more wait with a ticket", registry=r)
        self.sessions_reserved = Gauge(
            "mirror_sessions_reserved", "Places taken under the cap: admitted and not yet freed", registry=r)
        self.queue_waiting = Gauge("mirror_queue_waiting", "People waiting with a ticket", registry=r)
        self.draining = Gauge("mirror_draining", "1 from SIGTERM (or POST /drain) until exit: admitting nobody",
                              registry=r)
        self.tickets = Counter("mirror_tickets_total", "Queue tickets by outcome (issued, admitted, expired)",
                               ["outcome"], registry=r)
        self.sessions_closed = Counter(
            "mirror_sessions_closed_total", "Sessions ended, by why (connect_timeout, media_timeout, max_length, "
            "ice_failed, connection_failed, connection_closed, offer_failed, shutdown)", ["reason"], registry=r)
        self.session_seconds = Histogram(
            "mirror_session_seconds", "How long sessions lasted, offer to freed",
            buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1800), registry=r)
        self.message_errors = Counter(
            "mirror_message_errors_total", "Data-channel messages whose handler failed (answered with an error)",
            registry=r)
        self.messages_limited = Counter(
            "mirror_messages_rate_limited_total", "Data-channel messages dropped by the per-session rate limit",
            registry=r)
        self.log_lines_suppressed = Gauge(
            "mirror_log_lines_suppressed", "Repeated log lines counted instead of written", registry=r)
        self.log_lines_suppressed.set_function(lambda: RepeatLimit.suppressed_total)
        # ---- kiosk and healing (mirror/session/presence.py, mirror/frames/pipeline.py) ----
        self.stage_restarts = Counter("mirror_stage_restarts_total", "Broken render stages closed and opened again",
                                      ["stage"], registry=r)
        self.presence_changes = Counter("mirror_presence_changes_total",
                                        "Kiosk: someone came (present), left (absent); their scene reset", ["change"],
                                        registry=r)
        self.commands_ignored = Counter("mirror_commands_ignored_total",
                                        "Kiosk: commands and utterances ignored while nobody was in front", ["source"],
                                        registry=r)

    def forget_session(self, session: str) -> None:
        for metric in (self.frames_in, self.frames_out, self.render_width, self.render_height):
            try:
                metric.remove(session)
            except KeyError:
                pass
        for labels in list(self.frames_dropped._metrics):  # noqa: SLF001 - prometheus has no prefix removal
            if labels[0] == session:
                self.frames_dropped.remove(*labels)
