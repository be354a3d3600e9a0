"""Device modules: what a QuecPython script imports (usocket, utime, log...).

They are not importable as ordinary Python modules: a Device loads its own
instance of each, bound to its emulated module. See qpysim.Device.module().
"""
