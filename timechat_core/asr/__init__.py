"""Speech recognition: Whisper transcripts with segment times, cleaning, and prompt injection."""
