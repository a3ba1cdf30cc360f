"""Recording a clip: what the person saw and said, to an MP4 a phone plays; never a partial file."""
from __future__ import annotations

import errno
import threading

import av
import numpy as np
import pytest

from mirror.clips.recorder import MAX_BUFFERED, ClipRecorder
from tests.clip_media import feed, video_frame


def record(path, seconds, **kwargs):
    results = []
    recorder = ClipRecorder(path, on_done=results.append, **kwargs)
    feed(recorder, seconds, recorder.started_at)
    recorder.stop()
    recorder.join(timeout=20)
    assert not recorder.running
    (result,) = results
    return result


def test_a_clip_is_h264_at_the_output_size_with_aac_sound_that_is_not_silent(tmp_path):
    result = record(tmp_path / "clip.mp4", 2.0)
    assert result.error is None and result.path == tmp_path / "clip.mp4"
    assert (result.width, result.height, result.frames) == (320, 240, 60)
    with av.open(str(result.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 320, 240)
        assert video.codec_context.pix_fmt == "yuv420p"
        assert audio.codec_context.name == "aac"
        assert float(container.duration) / av.time_base == pytest.approx(2.0, rel=0.1)
        sound = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert np.sqrt(np.mean(sound ** 2)) > 0.05  # the 440 Hz tone at 0.3 of full scale, not silence
    assert result.thumbnail is not None and result.thumbnail.shape == (240, 320, 3)


def test_the_index_is_at_the_front_so_phones_play_while_downloading(tmp_path):
    path = record(tmp_path / "clip.mp4", 1.0).path
    data = path.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


def test_the_maximum_length_stops_a_recording_by_itself(tmp_path):
    result = record(tmp_path / "clip.mp4", 3.0, max_seconds=1.0)
    assert result.error is None
    assert result.duration_s <= 1.0 and result.frames == pytest.approx(30, abs=1)


def test_a_full_disk_stops_the_recording_and_leaves_no_partial_file(tmp_path):
    class FullDisk:
        def __init__(self, path):
            self.file, self.written = open(path, "w+b"), 0

        def write(self, data):
            self.written += len(data)
            if self.written > 20_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.file.write(data)

        def __getattr__(self, name):
            return getattr(self.file, name)

    result = record(tmp_path / "clip.mp4", 3.0, open_file=FullDisk)
    assert result.path is None and "disk is full" in result.error
    assert list(tmp_path.iterdir()) == []


def test_a_recorder_that_falls_behind_drops_the_oldest_frames_and_counts_them(tmp_path):
    release = threading.Event()

    def slow_disk(path):
        release.wait(10)  # the recorder's thread is stuck on I/O while frames keep coming
        return open(path, "w+b")

    results = []
    recorder = ClipRecorder(tmp_path / "clip.mp4", on_done=results.append, open_file=slow_disk)
    for n in range(MAX_BUFFERED + 50):
        recorder.add_video(video_frame(n), recorder.started_at + n / 30)
    assert recorder.dropped >= 49  # add_video never waited: it dropped the oldest instead
    release.set()
    recorder.stop()
    recorder.join(20)
    assert results[0].error is None and results[0].dropped == recorder.dropped


def test_stopping_before_any_frame_leaves_nothing(tmp_path):
    results = []
    recorder = ClipRecorder(tmp_path / "clip.mp4", on_done=results.append)
    recorder.stop()
    recorder.join(5)
    assert results[0].path is None and list(tmp_path.iterdir()) == []
