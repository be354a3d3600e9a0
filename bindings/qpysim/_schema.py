"""The JSON Schema of scenario files (version 1), for editors.

scenarios/schema.json is this module's output; a test keeps the two equal.
Regenerate it after changing faults, dialects, modules or the scenario keys:

    python -m qpysim._schema > scenarios/schema.json

The C++ parser (emulator/src/scenario.cpp) is what qpysim itself uses; this
schema says the same for an editor (VS Code's YAML extension, for one, reads
`# yaml-language-server: $schema=...`).
"""

from __future__ import annotations

import json
import sys

from . import _core

DURATION = {
    "description": "250ms, 1.5s, 5m, 1h, or a number of seconds",
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(us|ms|s|m|min|h)?$"},
    ],
}
BYTES = {
    "description": "a size in bytes: 1460, 32KB, 1.5MB, 64KiB",
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?\s*(B|KB|kB|MB|GB|KiB|MiB)?$"},
    ],
}
HOST_PORT = {"type": "string", "pattern": r"^.+:[0-9]{1,5}$"}
REG_STATES = ["home", "roaming", "searching", "denied", "not_searching", "unknown"]
DEVICE_EVENTS = ["boot", "connect", "dns", "listen", "pdp_active", "pdp_inactive", "registered",
                 "deregistered"]


MATCH_KEYS = {
    "host": {"type": "string", "description": "a name (*.suffix allowed for DNS) or an IP"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "socket": {"type": "integer", "minimum": 0},
    "proto": {"enum": ["tcp", "udp"]},
}


def _fault_defs() -> dict:
    kinds = _core.fault_kinds()
    one_of = []
    for name, scope, summary, settings, match, direction in kinds:
        props = {
            "kind": {"const": name},
            "name": {"type": "string", "description": "for the trace, lift() and after:"},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "for": dict(DURATION, description="lifts itself after this long (faults: only)"),
        }
        if match:
            props["match"] = {"type": "object", "additionalProperties": False,
                              "properties": {k: MATCH_KEYS[k] for k in match}}
        if direction:
            props["direction"] = {"enum": ["both", "up", "down"]}
        for key, doc in settings:
            props[key] = {"type": ["string", "number"], "description": doc}
        one_of.append({
            "type": "object",
            "description": f"{name} ({scope}): {summary}",
            "properties": props,
            "required": ["kind"],
            "additionalProperties": False,
        })
    names = [k[0] for k in kinds]
    return {
        "fault": {
            "description": "a fault kind alone, or a mapping with kind and its settings "
                           "(see `qpysim faults`)",
            "oneOf": [{"enum": names},
                      {"type": "object", "required": ["kind"],
                       "properties": {"kind": {"enum": names}},
                       "oneOf": one_of}],
        },
    }


# The shape of each service kind's settings, one entry per kind. The keys must
# be the settings the kind lists (`qpysim services`); a test keeps them equal.
_ROUTE = {
    "method": {"type": "string"},
    "path": {"type": "string"},
    "status": {"type": "integer", "minimum": 100, "maximum": 599},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
    "body": {"type": "string"},
    "body_file": {"type": "string"},
    "delay": DURATION,
    "close": {"type": "boolean"},
    "chunked": {"type": "boolean"},
    "reflect": {"type": "boolean"},
}
_STEP = {"expect": {"type": "string"}, "send": {"type": "string"}, "delay": DURATION,
         "close": {}, "reset": {}}
SERVICE_SETTINGS = {
    "echo": ("none", {}),
    "discard": ("none", {}),
    "http": ("routes", _ROUTE),
    "script": ("steps", _STEP),
    "mqtt": ("mapping", {
        "users": {"type": "object", "additionalProperties": {"type": "string"}},
        "anonymous": {"type": "boolean"},
        "retained": {"type": "object", "additionalProperties": {"type": "string"}},
        "max_qos": {"enum": [0, 1]},
        "max_packet": BYTES,
        "max_queued": {"type": "integer", "minimum": 0},
    }),
    "ntp": ("mapping", {
        "offset": {"type": "number"},
        "stratum": {"type": "integer", "minimum": 1, "maximum": 15},
    }),
}
_TLS = {
    "description": "TLS in front of the service: true (a certificate from the run's CA) or "
                   "the server's own cert and key (PEM files)",
    "oneOf": [{"type": "boolean"},
              {"type": "object", "additionalProperties": False,
               "properties": {"cert": {"type": "string"}, "key": {"type": "string"}}}],
}


def _settings_schema(kind: str) -> dict:
    shape, props = SERVICE_SETTINGS[kind]
    if shape == "none":
        return {"type": ["object", "null"], "maxProperties": 0}
    if shape == "mapping":
        return {"type": ["object", "null"], "additionalProperties": False, "properties": props}
    if shape == "routes":
        return {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                           "properties": props}}
    words = [k for k, v in props.items() if not v]
    return {"type": "array", "items": {"oneOf": [
        {"enum": words},
        {"type": "object", "additionalProperties": False, "minProperties": 1,
         "maxProperties": 1, "properties": {k: v for k, v in props.items() if v}},
    ]}}


def _service(udp: bool) -> dict:
    kinds = [k for k in _core.service_kinds() if (k[2] if udp else k[1])]
    bare = [k[0] for k in kinds if SERVICE_SETTINGS[k[0]][0] in ("none", "mapping")]
    props = {name: dict(_settings_schema(name), description=summary)
             for name, _tcp, _udp, summary, _settings in kinds}
    if not udp:
        props["tls"] = _TLS
    return {
        "oneOf": [
            {"enum": bare},
            {"type": "object", "additionalProperties": False, "properties": props,
             "oneOf": [{"required": [k[0]]} for k in kinds]},
        ],
    }


def build_schema() -> dict:
    models = [m.model for m in _core.modules()]
    dialects = [d.name for d in _core.dialects()]
    timeline_entry = {
        "type": "object",
        "additionalProperties": False,
        "required": ["fault"],
        "oneOf": [{"required": ["at"]}, {"required": ["every"]}, {"required": ["after"]}],
        "properties": {
            "name": {"type": "string"},
            "at": DURATION,
            "every": DURATION,
            "start": dict(DURATION, description="every: the first occurrence (default: one "
                                                "period in)"),
            "after": {"type": "string",
                      "description": "a device event (" + ", ".join(DEVICE_EVENTS) +
                                     "), another entry's name, or NAME.lifted"},
            "delay": DURATION,
            "jitter": DURATION,
            "count": {"type": "integer", "minimum": 0},
            "for": DURATION,
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "fault": {"$ref": "#/$defs/fault"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "qpysim scenario, version 1",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "module": {
                "oneOf": [
                    {"type": "string", "description": "one of " + ", ".join(models) +
                                                      " (case-insensitive)"},
                    {"type": "object", "additionalProperties": False,
                     "properties": {
                         "model": {"type": "string"},
                         "sockets": {"type": "integer", "minimum": 1, "maximum": 64},
                         "sndbuf": BYTES,
                         "rcvbuf": BYTES,
                         "call_cost": dict(DURATION, description="device time one call into "
                                           "the module costs (default 20us)"),
                         "line_cost": dict(DURATION, description="device time one line of a "
                                           "spinning device thread costs (default 1us)"),
                     }},
                ],
            },
            "dialect": {"enum": dialects},
            "clock": {"enum": ["real", "virtual"]},
            "seed": {"type": "integer", "minimum": 0},
            "sim": {"enum": ["ready", "absent", "locked", "puk", "blocked"]},
            "network": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "registration": {"enum": REG_STATES},
                    "csq": {"type": "integer", "minimum": 0, "maximum": 99},
                    "operator": {
                        "type": "object", "additionalProperties": False,
                        "properties": {k: {"type": "string"}
                                       for k in ("long", "short", "mcc", "mnc")},
                    },
                },
            },
            "pdp": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "integer", "minimum": 1, "maximum": 7},
                        "apn": {"type": "string"},
                        "ip_type": {"enum": ["ipv4", "ipv6", "ipv4v6"]},
                        "active": {"type": "boolean"},
                        "reconnect": {"type": "boolean"},
                        "address": {"type": "string",
                                    "description": "a fixed IPv4 address (a private APN)"},
                    },
                },
            },
            "dns": {
                "type": "object",
                "additionalProperties": {
                    "oneOf": [{"type": "string"},
                              {"type": "array", "items": {"type": "string"}, "minItems": 1}],
                },
            },
            "forward": {"type": "object", "propertyNames": HOST_PORT,
                        "additionalProperties": HOST_PORT},
            "hosts": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"address": {"type": "string"}},
                    "patternProperties": {
                        r"^[0-9]{1,5}(/tcp)?$": _service(udp=False),
                        r"^[0-9]{1,5}/udp$": _service(udp=True),
                    },
                    "additionalProperties": False,
                },
            },
            "link": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "latency": DURATION,
                    "jitter": DURATION,
                    "distribution": {"enum": ["uniform", "normal"]},
                    "bandwidth": {"type": "string"},
                    "loss": {"type": ["number", "string"]},
                },
            },
            "faults": {"type": "array", "items": {"$ref": "#/$defs/fault"}},
            "timeline": {"type": "array", "items": timeline_entry},
            "uart": {
                "type": "object",
                "description": "devices wired to the module's UARTs, by UART number (0-6): "
                               "their script runs in device time once the app opens the UART",
                "propertyNames": {"pattern": "^[0-6]$"},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"script": {"type": "array", "items": _uart_step()}},
                },
            },
            "i2c": {
                "type": "object",
                "description": "devices on the module's I2C buses (0-3), by 7-bit address "
                               "(0x44 or 68): registers and command answers, in hex",
                "propertyNames": {"pattern": "^[0-3]$"},
                "additionalProperties": {
                    "type": "object",
                    "propertyNames": {"pattern": "^(0[xX][0-7]?[0-9a-fA-F]|[0-9]{1,3})$"},
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "registers": _i2c_table("a register address (1-4 bytes) -> the "
                                                    "bytes from there on, in hex"),
                            "answers": _i2c_table("a command (1-4 bytes) -> what a read "
                                                  "without a register address returns "
                                                  "after it, in hex")},
                    },
                },
            },
        },
        "$defs": _fault_defs(),
    }


def _i2c_table(description: str) -> dict:
    """hex bytes -> hex bytes (an I2C device's registers or answers)."""
    return {"type": "object", "description": description,
            "propertyNames": {"pattern": "^([0-9a-fA-F]{2} ?){1,4}$"},
            "additionalProperties": {"type": ["string", "integer"]}}


def _uart_step() -> dict:
    """One step of a UART's scripted device: expect, send or delay (no close/reset)."""
    return {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
            "properties": {k: v for k, v in _STEP.items() if k in ("expect", "send", "delay")}}


def main() -> None:
    json.dump(build_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
