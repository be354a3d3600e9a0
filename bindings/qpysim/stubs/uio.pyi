"""uio (io)."""
from io import BytesIO as BytesIO, StringIO as StringIO
from typing import Any

def open(file: str, mode: str = ..., *args: Any, **kwargs: Any) -> Any: ...

class IOBase:
    """Base of streams written in Python; select.poll asks a subclass's ioctl(3, mask)."""

class TextIOWrapper:
    """What open() returns for a text file."""

class FileIO:
    """What open() returns for a binary file."""
