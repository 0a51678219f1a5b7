"""Exception types shared by the whole toolkit.

The CLI maps them to exit codes: `InputError` (bad usage or bad input) exits 2, any other
`TimechatError` (a runtime failure such as ffmpeg failing) exits 1.
"""


class TimechatError(Exception):
    """A runtime failure: the inputs were acceptable but the work could not be done."""


class InputError(TimechatError):
    """Bad usage or unusable input, detected before or instead of doing the work."""


class MediaError(TimechatError):
    """A media file could not be read, decoded or written."""

    def __init__(self, path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")
