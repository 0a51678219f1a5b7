"""Media tools: locating ffmpeg, probing, compressing, audio extraction and frame sampling."""
