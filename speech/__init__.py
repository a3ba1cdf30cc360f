"""Audio frames → utterances (Silero VAD + faster-whisper base, offline). Knows nothing of scenes.

    transcriber = Transcriber(vocabulary=["give me a sword", ...])   # once, shared by all sessions
    listener = Listener(transcriber, on_utterance)                   # one per audio track
    listener.push(frame)       # on the event loop, per av.AudioFrame: resample + append only
    listener.close()           # blocks while the last utterance is transcribed: call it off the loop

`on_utterance(Utterance)` (and `on_speech_start()`) run on the Listener's worker thread. With
`Transcriber(hypotheses=N, short_prompt=..., reask=...)` an utterance carries whisper's n-best
readings and, when `reask` chose a prompt for them, its readings under that prompt
(`Utterance.alternatives`, `.reasked`), for world/recognition.py.
`transcribe_file(path, transcriber)` runs a file through the same VAD and segmenter.
"""
from speech.files import transcribe_file
from speech.listener import Listener, ListenerStats
from speech.transcriber import Cancelled, Heard, Transcriber, TranscriberError
from speech.utterance import Hypothesis, Utterance

__all__ = ["Cancelled", "Heard", "Hypothesis", "Listener", "ListenerStats", "Transcriber", "TranscriberError",
           "Utterance", "transcribe_file"]
