"""atcmd: AT commands answered from the emulated module's state."""
from typing import Any

def sendSync(atcmd: str, resp: Any, include_str: str, timeout: int) -> int: ...
