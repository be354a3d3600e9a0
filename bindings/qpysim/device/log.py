"""log: QuecPython's logger. Lines look like `INFO:SOCKET:message` on stderr."""

import sys as _host_sys

from qpysim._runtime import current_device as _current_device

_dev = _current_device()

CRITICAL = 50
ERROR = 40
WARNING = 30
INFO = 20
DEBUG = 10
NOTSET = 0

_level_names = {CRITICAL: "CRIT", ERROR: "ERROR", WARNING: "WARN", INFO: "INFO", DEBUG: "DEBUG"}
_level = INFO
_stream = None  # None: the device's stderr at the time of writing
_loggers = {}


def _out():
    return _stream if _stream is not None else _host_sys.stderr


class Logger:
    level = NOTSET

    def __init__(self, name):
        self.name = name

    def _level_str(self, level):
        return _level_names.get(level, "LVL%s" % level)

    def setLevel(self, level):
        self.level = level

    def isEnabledFor(self, level):
        return level >= (self.level or _level)

    def log(self, level, msg, *args):
        if self.isEnabledFor(level):
            if args:
                msg = msg % args
            print(self._level_str(level), ":", self.name, ":", msg, sep="", file=_out())

    def debug(self, msg, *args):
        self.log(DEBUG, msg, *args)

    def info(self, msg, *args):
        self.log(INFO, msg, *args)

    def warning(self, msg, *args):
        self.log(WARNING, msg, *args)

    warn = warning

    def error(self, msg, *args):
        self.log(ERROR, msg, *args)

    def critical(self, msg, *args):
        self.log(CRITICAL, msg, *args)

    def exc(self, e, msg, *args):
        self.log(ERROR, msg, *args)
        _dev.module("usys").print_exception(e, _out())

    def exception(self, msg, *args):
        self.exc(_host_sys.exc_info()[1], msg, *args)


def getLogger(name="root"):
    if name not in _loggers:
        _loggers[name] = Logger(name)
    return _loggers[name]


def info(msg, *args):
    getLogger().info(msg, *args)


def debug(msg, *args):
    getLogger().debug(msg, *args)


def basicConfig(level=INFO, filename=None, stream=None, format=None):
    global _level, _stream
    _level = level
    if stream:
        _stream = stream
    if filename is not None:
        print("logging.basicConfig: filename arg is not supported")
    if format is not None:
        print("logging.basicConfig: format arg is not supported")


def set_output(out):
    """Send log lines to usys.stdout, usys.stderr or a UART (anything with write())."""
    global _stream
    if not callable(getattr(out, "write", None)):
        raise Exception("the log output must extend UART, or be usys.stdout or usys.stderr")
    _stream = out
