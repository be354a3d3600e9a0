# A reporter as QuecPython apps write it: wait for the network, connect to the
# collector, send one JSON report a line every 10 s and wait for its
# acknowledgement (the collector echoes the line), and reconnect with a growing
# pause when the connection or the cell fails. It runs unchanged on a module.
#
#   qpysim run --scenario weak-cell.yaml main.py -- 12
#
# Arguments: [reports to deliver (12)]
import checkNet
import ujson
import usocket
import usys
import utime

COLLECTOR = ("collector.example.com", 5000)
REPORTS = int(usys.argv[1]) if len(usys.argv) > 1 else 12


def connect():
    addr = usocket.getaddrinfo(*COLLECTOR)[0][-1]
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(addr)
    except OSError:
        s.close()
        raise
    return s


def deliver(s, n):
    line = ujson.dumps({"n": n, "uptime": utime.ticks_ms()}) + "\n"
    s.write(line.encode())
    back = s.readline()
    if back != line.encode():
        raise OSError(5)  # EIO: the acknowledgement is not the report
    print("report %d acked at %d" % (n, utime.ticks_ms()))


def main():
    stage, state = checkNet.wait_network_connected(60)
    if (stage, state) != (3, 1):
        print("no network: stage %d state %d" % (stage, state))
        usys.exit(1)
    n, pause, s = 1, 1, None
    while n <= REPORTS:
        try:
            if s is None:
                s = connect()
                print("connected")
            deliver(s, n)
            n += 1
            pause = 1
            utime.sleep(10)
        except OSError as e:
            print("reconnect after errno %d, in %d s" % (e.args[0], pause))
            if s is not None:
                s.close()
                s = None
            utime.sleep(pause)
            pause = min(pause * 2, 60)
    s.close()
    print("all %d reports delivered" % REPORTS)


main()
