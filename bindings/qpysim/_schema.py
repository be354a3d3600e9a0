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


def _fault_defs() -> dict:
    kinds = _core.fault_kinds()
    one_of = []
    for name, scope, summary, settings in kinds:
        props = {
            "kind": {"const": name},
            "name": {"type": "string", "description": "for the trace, lift() and after:"},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "for": dict(DURATION, description="lifts itself after this long (faults: only)"),
        }
        if scope in ("link", "dns"):
            props["match"] = {"$ref": "#/$defs/match"}
        if scope == "link":
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
        "match": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "host": {"type": "string", "description": "a name (*.suffix allowed for DNS) "
                                                          "or an IP"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "socket": {"type": "integer", "minimum": 0},
                "proto": {"enum": ["tcp", "udp"]},
            },
        },
    }


def _service() -> dict:
    route = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "method": {"type": "string"},
            "path": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "string"},
            "body_file": {"type": "string"},
            "delay": DURATION,
            "close": {"type": "boolean"},
        },
    }
    step = {
        "oneOf": [
            {"enum": ["close", "reset"]},
            {"type": "object", "additionalProperties": False, "minProperties": 1,
             "maxProperties": 1,
             "properties": {"expect": {"type": "string"}, "send": {"type": "string"},
                            "delay": DURATION}},
        ],
    }
    return {
        "oneOf": [
            {"enum": ["echo", "discard"]},
            {"type": "object", "additionalProperties": False,
             "properties": {"http": {"type": "array", "items": route}}, "required": ["http"]},
            {"type": "object", "additionalProperties": False,
             "properties": {"script": {"type": "array", "items": step}},
             "required": ["script"]},
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
                    "propertyNames": {"pattern": r"^(address|[0-9]{1,5}(/udp|/tcp)?)$"},
                    "properties": {"address": {"type": "string"}},
                    "additionalProperties": _service(),
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
        },
        "$defs": _fault_defs(),
    }


def main() -> None:
    json.dump(build_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
