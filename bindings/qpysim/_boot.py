"""What the module keeps across a reboot, and reads at power-on before main.py.

- PDP contexts set with dataCall.setPDPContext live in the module's NV
  (ports/quectel/moddatacall.c:103-105, Helios_DataCall_SetPDPContext): the
  next boot has them.
- Boot-time data calls follow /usr/datacall_config.json, as the firmware's
  _boot.py does (ports/quectel/py/_boot.py:26-60, QuecPython/micropython
  @93ac4925): without the file, PDP 1 is started with auto-connect; with it,
  each profile whose "autoActivate" is 1 is started and "autoConnect" 1 sets
  auto-connect; other profiles stay down. dataCall.setAutoActivate and
  setAutoConnect write that file (the firmware's format: {"1": {"autoActivate":
  0, "autoConnect": 0}, ...}), and /usr is the same folder in every boot.

Without the file, the scenario's own `pdp:` contexts decide, as before.
"""

from __future__ import annotations

import os

CONFIG_NAME = "datacall_config.json"
PROFILES = (1, 2, 3)
BAD_FORMAT = "The format of the datacall_config.json is incorrect."


def read_config(root) -> dict | None:
    """The parsed /usr/datacall_config.json (`root` is /usr on the PC, a str or
    a path), None when there is none. Raises ValueError(BAD_FORMAT) as _boot.py
    does for a file it cannot use."""
    if root is None:
        return None
    path = os.path.join(root, CONFIG_NAME)
    if not os.path.isfile(path):
        return None
    import json

    try:
        with open(path, encoding="utf-8") as f:
            config = json.loads(f.read())
    except (OSError, UnicodeDecodeError, ValueError):
        raise ValueError(BAD_FORMAT) from None
    if not isinstance(config, dict) or any(
            not isinstance(config[k], dict) for k in map(str, PROFILES) if k in config):
        raise ValueError(BAD_FORMAT)
    return config


def write_flag(root, profile: int, key: str, enable: int) -> None:
    """Set "autoActivate"/"autoConnect" of a profile in /usr/datacall_config.json,
    creating the file with the firmware's defaults (dataCall.py l.33-74, 88-125)."""
    if root is None:
        return
    config = read_config(root) or {
        str(p): {"autoActivate": 0, "autoConnect": 0} for p in PROFILES}
    entry = config.setdefault(str(profile), {"autoActivate": 0, "autoConnect": 0})
    entry[key] = int(bool(enable))
    import json

    with open(os.path.join(root, CONFIG_NAME), "w", encoding="utf-8") as f:
        f.write(json.dumps(config))


def power_on_pdp(root, stored: dict | None) -> list:
    """The Modem's `pdp` for this boot: the contexts `stored` before the reboot
    (cellular_state()["pdp"] of the last boot, or None), and the data calls
    /usr/datacall_config.json starts."""
    by_id = {p: {"id": p} for p in PROFILES}
    for p, ctx in (stored or {}).items():
        if p in by_id:
            by_id[p].update({k: ctx[k] for k in ("ip_type", "apn", "username", "password",
                                                  "auth_type")})
    config = read_config(root)
    if config is not None:
        for p in PROFILES:
            entry = config.get(str(p), {})
            by_id[p]["active"] = entry.get("autoActivate", 0) == 1
            by_id[p]["auto_connect"] = entry.get("autoConnect", 0) == 1
    return [d for d in by_id.values() if len(d) > 1]
