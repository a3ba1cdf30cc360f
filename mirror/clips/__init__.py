"""Clips: a session's recording (recording.py), the recorder thread that writes the MP4
(recorder.py), and the folder of finished clips with their SQLite metadata (store.py)."""
