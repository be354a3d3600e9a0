"""asyncio on the micropython, rtthread and esp32 dialects (device/mp_asyncio.py):
MicroPython's API and scheduling, in device time, over the device's sockets."""

import textwrap

import pytest
from device_run import run_device

import qpysim

ECHO = """
hosts:
  echo.test:
    7: echo
  talk.test:
    23:
      script:
        - send: "hello\\nwor"
        - delay: 2
        - send: "ld\\n"
        - expect: "bye"
        - send: "ok"
        - close
"""


def run(tmp_path, capsys, source, dialect="micropython", status=0, **kw):
    (tmp_path / "s.yaml").write_text(ECHO)
    result, out, err, dev = run_device(tmp_path, capsys, source, clock="virtual",
                                       dialect=dialect, scenario=str(tmp_path / "s.yaml"), **kw)
    assert result.status == status, err
    return out.splitlines(), err


@pytest.mark.parametrize("dialect", ["micropython", "rtthread", "esp32"])
def test_asyncio_is_there_on_micropythons_ports(tmp_path, capsys, dialect):
    out, _ = run(tmp_path, capsys, """
        import asyncio, uasyncio

        async def main():
            await asyncio.sleep_ms(5)
            return 'ran'

        print(asyncio is uasyncio, asyncio.run(main()))
    """, dialect)
    assert out == ["True ran"]


def test_quecpython_compiles_asyncio_out(tmp_path, capsys):
    out, err = run(tmp_path, capsys, "import asyncio\n", "quecpython", status=1)
    assert "ImportError: no module named 'asyncio' on EC600U (quecpython firmware)" in err


def test_tasks_interleave_in_device_time_and_run_returns_the_result(tmp_path, capsys):
    out, _ = run(tmp_path, capsys, """
        import asyncio, time
        start = time.ticks_ms()

        def at():
            return time.ticks_diff(time.ticks_ms(), start) // 10 * 10

        async def ticker(name, period, n):
            for i in range(n):
                await asyncio.sleep_ms(period)
                print(name, i, at())
            return name * n

        async def main():
            a = asyncio.create_task(ticker('a', 300, 3))
            b = asyncio.create_task(ticker('b', 500, 2))
            print(await a, await b)
            await asyncio.sleep(3600 * 24)  # a device day: at once in virtual time
            return at() // 1000

        print(asyncio.run(main()))
    """)
    assert out == ["a 0 300", "b 0 500", "a 1 600", "a 2 900", "b 1 1000", "aaa bb",
                   str(24 * 3600 + 1)]


def test_gather_wait_for_and_cancel_as_on_micropython(tmp_path, capsys):
    out, _ = run(tmp_path, capsys, """
        import asyncio

        async def value(v, ms):
            await asyncio.sleep_ms(ms)
            return v

        async def fail(ms):
            await asyncio.sleep_ms(ms)
            raise ValueError(ms)

        async def slow():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print('slow cancelled')
                raise

        async def waiter(t):
            await t

        async def main():
            print(await asyncio.gather(value(1, 20), value(2, 10)))
            print(await asyncio.gather(value(1, 20), fail(10), return_exceptions=True))
            try:
                await asyncio.gather(value(1, 20), fail(10))
            except ValueError as e:
                print('gather raised', e.args)
            try:
                await asyncio.wait_for(slow(), 0.5)
            except asyncio.TimeoutError:
                print('timeout')
            print(await asyncio.wait_for_ms(value(3, 10), 100))
            # Cancelling a task that awaits another cancels the one it awaits.
            inner = asyncio.create_task(slow())
            outer = asyncio.create_task(waiter(inner))
            await asyncio.sleep_ms(10)
            outer.cancel()
            try:
                await outer
            except asyncio.CancelledError:
                print('outer cancelled', inner.done())

        asyncio.run(main())
    """)
    assert out == ["[1, 2]", "[1, ValueError(10)]", "gather raised (10,)", "slow cancelled",
                   "timeout", "3", "slow cancelled", "outer cancelled True"]


def test_event_lock_and_a_threadsafeflag_set_by_another_device_thread(tmp_path, capsys):
    out, _ = run(tmp_path, capsys, """
        import asyncio, _thread, time

        async def main():
            ev = asyncio.Event()
            lock = asyncio.Lock()
            flag = asyncio.ThreadSafeFlag()
            order = []

            async def user(n):
                async with lock:
                    order.append(n)
                    await asyncio.sleep_ms(10)

            async def setter():
                await asyncio.sleep_ms(50)
                ev.set()

            asyncio.create_task(setter())
            print(await ev.wait(), ev.is_set())
            await asyncio.gather(user(1), user(2), user(3))
            print(order, lock.locked())

            def from_thread():
                time.sleep_ms(200)
                flag.set()

            start = time.ticks_ms()
            _thread.start_new_thread(from_thread, ())
            await flag.wait()
            print('flag after', time.ticks_diff(time.ticks_ms(), start) // 100 * 100)

        asyncio.run(main())
    """)
    assert out == ["True True", "[1, 2, 3] False", "flag after 200"]


def test_streams_over_device_sockets(tmp_path, capsys):
    out, _ = run(tmp_path, capsys, """
        import asyncio

        async def main():
            r, w = await asyncio.open_connection('echo.test', 7)
            w.write(b'ping\\n')
            await w.drain()
            print(await r.readline(), await asyncio.wait_for(r.readexactly(0), 1))
            w.write(b'abc')
            await w.drain()
            print(await r.readexactly(3))
            w.close()
            await w.wait_closed()

            r, w = await asyncio.open_connection('talk.test', 23)
            print(await r.readline(), await r.readline())
            w.write(b'bye')
            await w.drain()
            print(await r.read())
            try:
                await r.readexactly(1)
            except EOFError:
                print('EOFError')
            await w.wait_closed()

        asyncio.run(main())
    """)
    assert out == ["b'ping\\n' b''", "b'abc'", "b'hello\\n' b'world\\n'", "b'ok'", "EOFError"]


def test_start_server_serves_a_client_and_closes(tmp_path, capsys):
    got = []

    def client(conn):
        conn.sendall(b"hi there\n")
        got.append(conn.recv_exactly(9))
        conn.sendall(b"ok")  # the device waits for it: the run does not end first

    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import asyncio

        async def handle(reader, writer):
            print('peer', writer.get_extra_info('peername')[1] > 0)
            line = await reader.readline()
            writer.write(line.upper())
            await writer.drain()
            print(await reader.readexactly(2))
            await writer.wait_closed()
            done.set()

        async def main():
            global done
            done = asyncio.Event()
            async with await asyncio.start_server(handle, '0.0.0.0', 7000):
                await asyncio.wait_for(done.wait(), 30)
            try:
                await asyncio.start_server(handle, '0.0.0.0', 7000)
                srv2 = await asyncio.start_server(handle, '0.0.0.0', 7000)
            except OSError as e:
                print('second server', e.errno)

        asyncio.run(main())
    """))
    dev = qpysim.Device(fs=str(tmp_path), clock="virtual", dialect="micropython")
    dev.client(7000, client, after=1.0)
    capsys.readouterr()
    result = dev.run(str(tmp_path / "main.py"), timeout=60)
    out = capsys.readouterr().out.splitlines()
    assert result.status == 0
    assert out == ["peer True", "b'ok'", "second server 98"]
    assert got == [b"HI THERE\n"]


def test_an_exception_nobody_awaits_goes_to_the_exception_handler(tmp_path, capsys):
    out, err = run(tmp_path, capsys, """
        import asyncio

        async def boom():
            raise KeyError('lost')

        def handler(loop, context):
            print('handler:', context['message'], repr(context['exception']))

        async def main():
            asyncio.create_task(boom())
            await asyncio.sleep_ms(10)
            asyncio.get_event_loop().set_exception_handler(None)
            asyncio.create_task(boom())
            await asyncio.sleep_ms(10)

        asyncio.get_event_loop().set_exception_handler(handler)
        asyncio.run(main())
    """)
    assert out == ["handler: Task exception wasn't retrieved KeyError('lost')"]
    assert "Task exception wasn't retrieved" in err and "KeyError: 'lost'" in err


def test_an_asyncio_app_replays_from_its_seed(tmp_path, capsys):
    source = """
        import asyncio, random, time

        async def worker(n):
            for i in range(5):
                await asyncio.sleep_ms(random.getrandbits(8))
                print(n, i, time.ticks_ms())

        async def main():
            await asyncio.gather(*[worker(n) for n in range(4)])

        asyncio.run(main())
    """
    runs = [run(tmp_path, capsys, source, seed=7)[0] for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) == 20


def test_a_lock_handed_to_a_waiter_is_not_locked_until_the_waiter_runs(tmp_path, capsys):
    """MicroPython's Lock.release() gives the lock to the first waiter: between the
    release and that task running, locked() is False and another acquire waits."""
    out, _ = run(tmp_path, capsys, """
        import asyncio

        async def holder(lock):
            async with lock:
                await asyncio.sleep(0.1)
            print('released', lock.locked())
            await lock.acquire()
            print('holder again', lock.locked())
            lock.release()

        async def waiter(lock):
            async with lock:
                print('waiter has it', lock.locked())

        async def main():
            lock = asyncio.Lock()
            t = asyncio.create_task(holder(lock))
            await asyncio.sleep(0)
            await asyncio.gather(t, waiter(lock))
            try:
                lock.release()
            except RuntimeError as e:
                print(e)

        asyncio.run(main())
    """)
    assert out == ["released False", "waiter has it True", "holder again True",
                   "Lock not acquired"]


def test_wait_for_switches_tasks_in_micropythons_order(tmp_path, capsys):
    """wait_for runs its awaitable in a runner task while it sleeps (MicroPython's
    funcs.py): cancelled after 1, 2 or 3 turns of the loop, the inner task has
    started, or ended, at the turns MicroPython's has."""
    out, _ = run(tmp_path, capsys, """
        import asyncio

        async def inner(n):
            print('inner start', n)
            await asyncio.sleep(0)
            print('inner end', n)

        async def outer(n):
            try:
                await asyncio.wait_for(inner(n), 2)
            except asyncio.CancelledError:
                print('outer cancelled', n)
                raise

        async def main():
            for turns in (1, 2, 3):
                t = asyncio.create_task(outer(turns))
                for _ in range(turns):
                    await asyncio.sleep(0)
                print('cancel', turns)
                t.cancel()
                try:
                    await t
                except asyncio.CancelledError:
                    pass

        asyncio.run(main())
    """)
    assert out == ["cancel 1", "inner start 1", "outer cancelled 1",
                   "inner start 2", "cancel 2", "inner end 2", "outer cancelled 2",
                   "inner start 3", "inner end 3", "cancel 3", "outer cancelled 3"]


def test_an_event_set_from_micropython_schedule_wakes_an_idle_loop(tmp_path, capsys):
    """Nothing due and no stream: the loop idles until a task is queued, here by
    Event.set() from micropython.schedule (MicroPython's loop polls every 3 ms)."""
    out, _ = run(tmp_path, capsys, """
        import asyncio, micropython, time

        evt = asyncio.Event()

        def later(_):
            time.sleep_ms(250)
            evt.set()

        async def main():
            t0 = time.ticks_ms()
            micropython.schedule(later, None)
            await evt.wait()
            print('woken after', time.ticks_diff(time.ticks_ms(), t0) // 50 * 50)
            try:
                asyncio.sleep_ms(time.ticks_add(0, -1) // 2 + 1)
            except OverflowError as e:
                print('OverflowError', e)

        asyncio.run(main())
    """)
    assert out == ["woken after 250", "OverflowError ticks interval overflow"]
