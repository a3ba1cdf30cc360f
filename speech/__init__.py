"""Audio frames → utterances (Silero VAD + faster-whisper tiny.en, offline). Knows nothing of scenes."""
from speech.files import transcribe_file
from speech.listener import Listener, ListenerStats
from speech.transcriber import Transcriber, TranscriberError
from speech.utterance import Utterance

__all__ = ["Listener", "ListenerStats", "Transcriber", "TranscriberError", "Utterance", "transcribe_file"]
