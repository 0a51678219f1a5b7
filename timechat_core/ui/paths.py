"""Paths the page may name: `ROOT/relative/path`, resolved and kept inside the served folders.

The page never sends a file system path. It sends a reference such as `data/synth/v0.mp4`, whose
first part names a served folder (`data`: the `--data` folder, `uploads`: the temporary upload
folder). A reference is refused when it is absolute, has a `..` part, a backslash or a NUL, names
no served folder, or resolves (symlinks followed) to a file outside its folder. URL decoding
happens before this check, so `%2e%2e` is a `..` part here.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from timechat_core.infer.manifest import VIDEO_SUFFIXES


class Refused(Exception):
    """A reference the page may not use; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Roots:
    """The served folders, by name.

    Args:
        roots: name -> folder; each folder must exist (it is resolved once, here).
    """

    def __init__(self, roots: dict[str, str | os.PathLike]):
        self.roots = {name: Path(path).resolve(strict=True) for name, path in roots.items()}

    def resolve(self, ref: str, *, kind: str = "file") -> Path:
        """The file a reference names.

        Args:
            ref: `ROOT/relative/path`.
            kind: "file" (must be a regular file) or "any" (may not exist yet).

        Raises:
            Refused: 403 for a path that leaves its folder or is malformed, 404 for an unknown
                folder or a missing file.
        """
        if not isinstance(ref, str) or not ref or "\x00" in ref or "\\" in ref:
            raise Refused(403, "malformed path")
        name, _, rel = ref.partition("/")
        if name not in self.roots:
            raise Refused(404, f"no served folder {name!r}")
        rel_path = PurePosixPath(rel)
        if not rel or rel_path.is_absolute() or ".." in rel_path.parts or rel.startswith("~"):
            raise Refused(403, "path outside the served folders")
        root = self.roots[name]
        full = (root / rel_path).resolve()
        if not full.is_relative_to(root):
            raise Refused(403, "path outside the served folders")
        if kind == "file" and not full.is_file():
            raise Refused(404, "no such file")
        return full

    def ref(self, path: str | os.PathLike) -> str | None:
        """The reference of a file inside a served folder (symlinks resolved), else None."""
        full = Path(path).resolve()
        for name, root in self.roots.items():
            if full.is_relative_to(root) and full != root:
                return f"{name}/{full.relative_to(root).as_posix()}"
        return None

    def walk(self, suffixes: tuple[str, ...], limit: int = 5000) -> list[str]:
        """References of the files with these suffixes in every folder (symlinks out are skipped)."""
        found: list[str] = []
        for name, root in self.roots.items():
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.lower().endswith(suffixes) and not f.startswith("."):
                        ref = self.ref(Path(folder) / f)
                        if ref is not None and ref.startswith(name + "/"):
                            found.append(ref)
                            if len(found) >= limit:
                                return found
        return found


def is_video(name: str) -> bool:
    return name.lower().endswith(VIDEO_SUFFIXES)
