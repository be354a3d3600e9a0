"""asyncio (uasyncio) of the micropython, rtthread and esp32 dialects.

MicroPython's asyncio as a device script sees it (the API and behaviour of
micropython/micropython extmod/asyncio; qpysim's own code): one scheduler per
device, running tasks in order of their wake-up time in device milliseconds and
in the order they were queued at the same time; streams wait on the device's own
select.poll. So an asyncio app runs in device time, with faults and replay like
any other. QuecPython compiles asyncio out of its firmware: there `import
asyncio` fails as on the module.

What differs from CPython's asyncio, as on MicroPython: `sleep_ms` and
`wait_for_ms`; `Loop` is a class used as the loop; `Stream` is both reader and
writer; `close()` does nothing and `wait_closed()` closes the socket; a task's
exception that nobody awaited is reported by the loop's exception handler.
"""

import heapq as _heapq
import warnings as _warnings

from qpysim import _core
from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_modem = _dev.modem
_ticks_add = _dev.module("utime").ticks_add  # its range check is sleep_ms's
_select = _dev.module("uselect")
_socket = _dev.module("usocket")
_EINPROGRESS = _dev.errno_of("in_progress")[0]
_POLLIN = _select.POLLIN
_POLLOUT = _select.POLLOUT


class CancelledError(BaseException):
    pass


class TimeoutError(Exception):  # noqa: A001 - asyncio's own, as on MicroPython
    pass


def _now_ms():
    return int(_modem.now() * 1000)


class _Suspend:
    """Awaited once: the task stops here until whatever `arm` queued it on wakes it."""

    __slots__ = ("arm",)

    def __init__(self, arm):
        self.arm = arm

    def __await__(self):
        self.arm(_state.current)
        yield


# ---------------------------------------------------------------- tasks


class Task:
    """A coroutine the scheduler runs; awaitable, cancellable."""

    def __init__(self, coro):
        self.coro = coro
        self._done = False
        self._result = None
        self._error = None
        self._retrieved = False  # its outcome was taken by an await, gather or wait_for
        self._waiters = []  # tasks (woken) and callables (called) when it ends
        self._entry = None  # its place on the run queue
        self._holder = None  # a list it waits in (another task's, an Event's, a Lock's)
        self._on = None  # the task it awaits
        self._io = None  # (stream, 0 read / 1 write) it waits for
        self._throw = None  # thrown into it when it next runs (a cancel)

    def __repr__(self):
        return "<Task>"

    def done(self):
        return self._done

    def cancel(self):
        if self._done:
            return False
        if self is _state.current:
            raise RuntimeError("can't cancel self")
        while self._on is not None and not self._on._done:
            self = self._on  # a task awaiting another: the cancel goes to that one
        self._throw = CancelledError()
        due = self._entry is not None and self._entry[0] <= _now_ms()
        if not (due and self._holder is None and self._io is None):
            _unqueue(self)  # a task already due keeps its place in the queue
            _queue(self)
        return True

    def _outcome(self):
        self._retrieved = True
        if self._error is not None:
            raise self._error
        return self._result

    def __await__(self):
        if not self._done:
            yield from _Suspend(self._wait_for_end).__await__()
        return self._outcome()

    def _wait_for_end(self, task):
        _hold(task, self._waiters)
        task._on = self


class _State:
    """The scheduler of this device: a run queue in device ms and the streams waited on."""

    def __init__(self):
        self.queue = []  # heap of [wake ms, order, task or callable]
        self.order = 0
        self.current = None
        self.poller = _select.poll()
        self.streams = {}  # id(stream) -> [reader task, writer task, stream]
        self.handler = None
        self.stopper = None
        # The loop idles on this when no task is due and no stream is waited on;
        # a task queued meanwhile (an Event set from another device thread, as
        # micropython.schedule does) wakes it, where MicroPython's loop would
        # notice on its next 3 ms poll (extmod/asyncio/core.py, run_until_complete).
        self.idle = _core.Semaphore(_modem, 0, 1)
        self.idling = False


def _queue(item, at_ms=None):
    """Queue a task (or a callable) to run at `at_ms` (now when None)."""
    if isinstance(item, Task) and item._entry is not None:
        item._entry[2] = None  # queued again: the new place wins
    _state.order += 1
    entry = [_now_ms() if at_ms is None else at_ms, _state.order, item]
    if isinstance(item, Task):
        item._entry = entry
    _heapq.heappush(_state.queue, entry)
    if _state.idling:
        _state.idle.release()


def _hold(task, waiting):
    """Put a suspended task in the list `waiting` (a task's waiters, an Event's,
    a Lock's); _wake takes it out."""
    waiting.append(task)
    task._holder = waiting


def _wait_in(waiting):
    """Awaited: the running task waits in `waiting` until it is woken."""
    return _Suspend(lambda task: _hold(task, waiting))


def _wake(task):
    """Queue a task that was taken out of the list it waited in."""
    task._holder = task._on = None
    _queue(task)


def _unqueue(task):
    """Take a waiting task off whatever it waits on."""
    if task._entry is not None:
        task._entry[2] = None
        task._entry = None
    task._on = None
    if task._holder is not None:
        if task in task._holder:
            task._holder.remove(task)
        task._holder = None
    if task._io is not None:
        stream, which = task._io
        task._io = None
        entry = _state.streams.get(id(stream))
        if entry is not None and entry[which] is task:
            entry[which] = None
            _rearm(stream, entry)


def _rearm(stream, entry):
    if entry[0] is None and entry[1] is None:
        del _state.streams[id(stream)]
        _state.poller.unregister(stream)
    else:
        _state.poller.modify(stream, (_POLLIN if entry[0] else 0) | (_POLLOUT if entry[1] else 0))


def _wait_io(stream, which):
    def arm(task):
        entry = _state.streams.get(id(stream))
        if entry is None:
            entry = _state.streams[id(stream)] = [None, None, stream]
            _state.poller.register(stream, 0)
        if entry[which] is not None:
            raise RuntimeError("a stream is already waited on by another task")
        entry[which] = task
        task._io = (stream, which)
        _rearm(stream, entry)

    return _Suspend(arm)


def _wait_streams(timeout_ms):
    """Wait up to timeout_ms (None: for ever) for a stream; queue the tasks it wakes."""
    if not _state.streams:
        if timeout_ms is None or timeout_ms > 0:
            _state.idling = True
            try:
                _state.idle.acquire(None if timeout_ms is None else timeout_ms / 1000)
            finally:
                _state.idling = False
        return
    for stream, events in _state.poller.ipoll(-1 if timeout_ms is None else timeout_ms):
        entry = _state.streams[id(stream)]
        for which, bits in ((0, ~_POLLOUT), (1, ~_POLLIN)):  # errors wake both
            task = entry[which]
            if task is not None and events & bits:
                entry[which] = None
                task._io = None
                _queue(task)
        _rearm(stream, entry)  # what the woken tasks waited for is no longer watched


def _finish(task, result=None, error=None):
    task._done = True
    task._result, task._error = result, error
    waiters, task._waiters = task._waiters, []
    for w in waiters:
        if isinstance(w, Task):
            _wake(w)
        else:
            w(task)
    if not waiters and error is not None and not isinstance(error, CancelledError):
        # Nobody waits for it: report it later, unless somebody takes it first.
        _queue(lambda: task._retrieved or Loop.call_exception_handler(
            {"message": "Task exception wasn't retrieved", "exception": error, "future": task}))


def _step(task):
    _state.current = task
    throw, task._throw = task._throw, None
    try:
        if throw is not None:
            task.coro.throw(throw)
        else:
            task.coro.send(None)
    except StopIteration as end:
        _finish(task, result=end.value)
    except (CancelledError, Exception) as e:  # noqa: BLE001 - the task's outcome
        _finish(task, error=e)
    finally:
        _state.current = None


def _drop_cancelled():
    while _state.queue and _state.queue[0][2] is None:
        _heapq.heappop(_state.queue)


def run_until_complete(main=None):
    """Run tasks until `main` ends (returning its result or raising its error), or
    until nothing is left to run when there is no main task."""
    while True:
        _drop_cancelled()
        if _state.queue:
            wait = max(0, _state.queue[0][0] - _now_ms())
        elif not _state.streams and (main is None or main._done):
            return None
        else:
            wait = None  # only a stream can wake it (or nothing: it waits, as on the module)
        if wait != 0 or _state.streams:
            _wait_streams(wait)  # streams are polled on every turn, as MicroPython's loop does
            _drop_cancelled()
            if not _state.queue or _state.queue[0][0] > _now_ms():
                continue
        entry = _heapq.heappop(_state.queue)
        item = entry[2]
        if not isinstance(item, Task):
            item()
            continue
        item._entry = None
        _step(item)
        if item is main and item._done:
            return item._outcome()


def create_task(coro):
    if not hasattr(coro, "send"):
        raise TypeError("coroutine expected")
    task = Task(coro)
    _queue(task)
    return task


async def _awaiting(aw):
    return await aw


def _as_task(aw):
    if isinstance(aw, Task):
        return aw
    if not hasattr(aw, "send") and hasattr(aw, "__await__"):  # sleep(), an Event's wait
        aw = _awaiting(aw)
    return create_task(aw)


def run(coro):
    return run_until_complete(create_task(coro))


def current_task():
    if _state.current is None:
        raise RuntimeError("no running event loop")
    return _state.current


# ---------------------------------------------------------------- sleeping and waiting


def sleep_ms(t):
    t = max(0, int(t))
    _ticks_add(0, t)  # the range check MicroPython's sleep_ms makes
    return _Suspend(lambda task: _queue(task, _now_ms() + t))


def sleep(t):
    return sleep_ms(int(t * 1000))


async def wait_for(aw, timeout):
    """`aw`'s result, or TimeoutError after `timeout` seconds (None: no limit),
    cancelling it."""
    return await _wait_for(aw, None if timeout is None else int(timeout * 1000))


async def wait_for_ms(aw, timeout):
    return await _wait_for(aw, None if timeout is None else int(timeout))


async def _run(waiter, aw):
    """wait_for's runner (MicroPython's funcs.py): await `aw`, then wake the
    waiter's sleep with a CancelledError carrying (status, result)."""
    try:
        result = await aw
        status = True
    except BaseException as er:  # noqa: BLE001 - handed to the waiter
        result, status = None, er
    # Still asleep in its sleep (MicroPython: waiter.data is None), not awaiting
    # this runner after its time passed: wake it with the outcome.
    asleep = waiter._throw is None and waiter._on is None and waiter._entry is not None
    if asleep and waiter.cancel():
        waiter._throw = CancelledError(status, result)


async def _wait_for(aw, ms):
    """MicroPython's wait_for: a runner task awaits `aw` while this task sleeps
    `ms`; whichever ends first decides, in MicroPython's order of task switches."""
    aw = _as_task(aw)
    if ms is None:
        return await aw
    runner = create_task(_run(current_task(), aw))
    try:
        await sleep_ms(ms)
    except CancelledError as er:
        status = er.args[0] if er.args else None
        if status is None:  # this wait_for was cancelled from outside
            runner.cancel()
            raise er
        if status is True:  # aw ended first
            return er.args[1]
        raise status
    runner.cancel()  # the time passed first
    await runner
    raise TimeoutError


async def gather(*aws, return_exceptions=False):
    tasks = [_as_task(aw) for aw in aws]
    me = current_task()
    failed = [None]
    pending = [t for t in tasks if not t._done]
    if not return_exceptions:
        for t in tasks:
            if t._done and t._error is not None:
                failed[0] = t._error
                break

    def ended(t):
        if t in pending:
            pending.remove(t)
        if me._done or me._holder is not gathering:
            return
        if t._error is not None and not return_exceptions:
            failed[0] = failed[0] or t._error
        elif pending:
            return
        _wake(me)

    gathering = []
    if failed[0] is None and pending:
        for t in pending:
            t._waiters.append(ended)

        def arm(task):
            task._holder = gathering

        try:
            await _Suspend(arm)
        except CancelledError:
            for t in list(pending):
                t.cancel()
            raise
        finally:
            for t in tasks:
                if ended in t._waiters:
                    t._waiters.remove(ended)
    if failed[0] is not None:
        for t in tasks:
            if t._done and t._error is failed[0]:
                t._retrieved = True
        raise failed[0]
    out = []
    for t in tasks:
        t._retrieved = True
        out.append(t._error if t._error is not None else t._result)
    return out


# ---------------------------------------------------------------- synchronisation


class Event:
    def __init__(self):
        self.state = False
        self._waiting = []

    def is_set(self):
        return self.state

    def set(self):
        self.state = True
        waiting, self._waiting = self._waiting, []
        for task in waiting:
            _wake(task)

    def clear(self):
        self.state = False

    async def wait(self):
        if not self.state:
            await _wait_in(self._waiting)
        return True


class ThreadSafeFlag:
    """An event another device thread may set; wait() clears it. The loop sees it
    as a stream (its ioctl answers select.poll), as MicroPython's does."""

    def __init__(self):
        self.state = 0

    def ioctl(self, req, flags):
        return (self.state and _POLLIN) & flags if req == 3 else -22

    def set(self):
        self.state = 1

    def clear(self):
        self.state = 0

    async def wait(self):
        if not self.state:
            await _wait_io(self, 0)
        self.state = 0


class Lock:
    """MicroPython's Lock (extmod/asyncio/lock.py): release() with tasks waiting
    hands the lock to the first, and until that task runs the lock is neither
    free nor locked(), as MicroPython's state holding the task says."""

    def __init__(self):
        self._owner = None  # the task that holds the lock, or it was handed to
        self._held = False  # the owner runs with it (MicroPython's state 1)
        self._waiting = []

    def locked(self):
        return self._held

    def release(self):
        if not self._held:
            raise RuntimeError("Lock not acquired")
        self._held = False
        if self._waiting:  # handed to the first waiter
            self._owner = self._waiting.pop(0)
            _wake(self._owner)
        else:
            self._owner = None

    async def acquire(self):
        me = current_task()
        if self._owner is not None:
            try:
                await _wait_in(self._waiting)
            except CancelledError:
                if self._owner is me:  # it was handed over as we were cancelled
                    self._held = True
                    self.release()
                raise
        self._owner, self._held = me, True
        return True

    async def __aenter__(self):
        return await self.acquire()

    async def __aexit__(self, exc_type, exc, tb):
        self.release()


# ---------------------------------------------------------------- streams


class Stream:
    """A socket (or any device stream) as a reader and a writer at once."""

    def __init__(self, s, e=None):
        self.s = s
        self.e = {} if e is None else e
        self.out_buf = b""

    def get_extra_info(self, v):
        return self.e[v]

    def close(self):
        pass

    async def wait_closed(self):
        self.s.close()

    aclose = wait_closed

    async def _when_ready(self, read, *args):
        """read(*args) of the stream once it gives something (None: not yet)."""
        while True:
            await _wait_io(self.s, 0)
            got = read(*args)
            if got is not None:
                return got

    async def read(self, n=-1):
        got = b""
        while True:
            more = await self._when_ready(self.s.read, n)
            if n >= 0:
                return more
            if not more:
                return got
            got += more

    async def readinto(self, buf):
        await _wait_io(self.s, 0)
        return self.s.readinto(buf)

    async def readexactly(self, n):
        got = b""
        while n:
            more = await self._when_ready(self.s.read, n)
            if not more:
                raise EOFError
            got += more
            n -= len(more)
        return got

    async def readline(self):
        line = b""
        while True:
            more = await self._when_ready(self.s.readline)
            line += more
            if not more or line[-1:] in (b"\n", "\n"):
                return line

    def write(self, buf):
        if not self.out_buf:
            sent = self.s.write(buf)
            if sent == len(buf):
                return
            if sent is not None:
                buf = buf[sent:]
        self.out_buf += bytes(buf)

    async def drain(self):
        if not self.out_buf:
            await sleep_ms(0)  # always a yield: write + drain in a loop lets others run
            return
        view = memoryview(self.out_buf)
        done = 0
        while done < len(view):
            await _wait_io(self.s, 1)
            sent = self.s.write(view[done:])
            if sent is not None:
                done += sent
        self.out_buf = b""

    async def awrite(self, buf, off=0, sz=-1):
        if off or sz != -1:
            buf = memoryview(buf)[off:len(buf) if sz == -1 else off + sz]
        self.write(buf)
        await self.drain()

    awritestr = awrite


StreamReader = Stream
StreamWriter = Stream


async def open_connection(host, port, ssl=None, server_hostname=None):
    ai = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)[0]
    s = _socket.socket(ai[0], ai[1], ai[2])
    s.setblocking(False)
    try:
        s.connect(ai[-1])
    except OSError as e:
        if e.errno != _EINPROGRESS:
            raise
    if ssl:
        if ssl is True:
            ssl = _dev.module("ssl").SSLContext(_dev.module("ssl").PROTOCOL_TLS_CLIENT)
        s = ssl.wrap_socket(s, server_hostname=server_hostname or host,
                            do_handshake_on_connect=False)
        s.setblocking(False)
    stream = Stream(s)
    await _wait_io(s, 1)
    return stream, stream


class Server:
    """What start_server returns: close() it, await wait_closed(), or `async with`."""

    def __init__(self):
        self.task = None  # the accepting task, once start_server has made it
        self._closing = False

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        self.close()
        await self.wait_closed()

    def close(self):
        self._closing = True
        if self.task is not None:
            self.task.cancel()

    async def wait_closed(self):
        if self.task is not None:
            await self.task

    async def _serve(self, s, cb, ssl):
        while True:
            try:
                await _wait_io(s, 0)
            except CancelledError:
                s.close()
                if self._closing:
                    return
                raise
            try:
                conn, addr = s.accept()
            except Exception:  # noqa: BLE001 - a failed accept is skipped
                continue
            if ssl:
                try:
                    conn = ssl.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                except OSError as e:
                    _dev.module("sys").print_exception(e)
                    conn.close()
                    continue
            conn.setblocking(False)
            stream = Stream(conn, {"peername": addr})
            create_task(cb(stream, stream))


async def start_server(cb, host, port, backlog=5, ssl=None):
    ai = _socket.getaddrinfo(host, port)[0]
    s = _socket.socket(ai[0])
    s.setblocking(False)
    s.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
    s.bind(ai[-1])
    s.listen(backlog)
    server = Server()
    server.task = create_task(server._serve(s, cb, ssl))
    try:
        await sleep_ms(0)  # the server task starts before anything can cancel it
    except CancelledError:
        server.task.cancel()
        raise
    return server


# ---------------------------------------------------------------- the loop


async def _until_stopped():
    pass


class Loop:
    """The event loop: a class used as it is, as on MicroPython."""

    _exc_handler = None

    @staticmethod
    def create_task(coro):
        return create_task(coro)

    @staticmethod
    def run_forever():
        _state.stopper = Task(_until_stopped())
        run_until_complete(_state.stopper)

    @staticmethod
    def run_until_complete(aw):
        return run_until_complete(_as_task(aw))

    @staticmethod
    def stop():
        if _state.stopper is not None:
            _queue(_state.stopper)
            _state.stopper = None

    @staticmethod
    def close():
        pass

    @staticmethod
    def set_exception_handler(handler):
        Loop._exc_handler = handler

    @staticmethod
    def get_exception_handler():
        return Loop._exc_handler

    @staticmethod
    def default_exception_handler(loop, context):
        sys = _dev.module("sys")
        print(context["message"], file=sys.stderr)
        print("future:", context["future"], "coro=", context["future"].coro, file=sys.stderr)
        sys.print_exception(context["exception"], sys.stderr)

    @staticmethod
    def call_exception_handler(context):
        (Loop._exc_handler or Loop.default_exception_handler)(Loop, context)


def get_event_loop(runq_len=0, waitq_len=0):
    return Loop


def new_event_loop():
    global _state
    _state = _State()
    return Loop


_state = _State()

# A task still queued when the script ends holds a coroutine that never ran;
# CPython warns about it at exit, MicroPython says nothing.
_warnings.filterwarnings("ignore", message="coroutine '.*' was never awaited",
                         category=RuntimeWarning)
