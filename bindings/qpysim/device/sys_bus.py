"""sys_bus: publish/subscribe between parts of a script. publish() runs each
subscriber in a new thread, as cb(topic, msg); publish_sync() runs them here."""

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_subs = {}


def subscribe(topic, cb):
    if not callable(cb):
        raise TypeError("callback must be callable")
    _subs.setdefault(topic, [])
    if cb not in _subs[topic]:
        _subs[topic].append(cb)


def publish(topic, msg):
    for cb in list(_subs.get(topic, ())):
        _dev.start_thread(cb, (topic, msg))


publish_async = publish


def publish_sync(topic, msg):
    for cb in list(_subs.get(topic, ())):
        cb(topic, msg)


def unsubscribe(topic, cb=None):
    if topic not in _subs:
        return False
    if cb is None:
        del _subs[topic]
        return True
    if cb in _subs[topic]:
        _subs[topic].remove(cb)
        if not _subs[topic]:
            del _subs[topic]
        return True
    return False


def sub_table(topic=None):
    if topic is None:
        return {t: list(cbs) for t, cbs in _subs.items()}
    return list(_subs.get(topic, ()))
