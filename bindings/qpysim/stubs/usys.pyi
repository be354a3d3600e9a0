"""usys (sys)."""
from typing import Any, TextIO

stdin: TextIO
stdout: TextIO
stderr: TextIO
argv: list[str]
path: list[str]
modules: dict
platform: str
byteorder: str
maxsize: int
version: str
version_info: tuple
implementation: tuple

def print_exception(exc: BaseException, file: Any = ...) -> None: ...
def exit(retval: Any = ...) -> None: ...
def exc_info() -> tuple: ...
