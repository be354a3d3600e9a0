# A device app of the kind that meets every field failure: it keeps a TCP
# session to its server, sends a heartbeat and waits for the answer, and
# reconnects (with back-off) whenever anything goes wrong. It runs unchanged
# on a module and under qpysim, and prints what it lived through.
#
#   qpysim run --scenario scenarios/flaky-cell.yaml examples/heartbeat.py
#   qpysim run --scenario scenarios/nat-idle-expiry.yaml examples/heartbeat.py 420
#
# Arguments: [interval seconds (60)] [run for seconds (3600)] [keepalive minutes (0)]
import usocket
import utime
import usys
import checkNet
import dataCall
import log

HOST = "iot.qpysim.test"
PORT = 7

argv = usys.argv[1:]
INTERVAL = int(argv[0]) if len(argv) > 0 else 60
RUN_FOR = int(argv[1]) if len(argv) > 1 else 3600
KEEPALIVE = int(argv[2]) if len(argv) > 2 else 0

log.basicConfig(level=log.INFO)
hb = log.getLogger("heartbeat")

stats = {"sent": 0, "answered": 0, "connects": 0, "pdp_down": 0, "errors": {}}


def on_pdp(args):
    if args[1] == 0:
        stats["pdp_down"] += 1
        hb.warning("data call %d down" % args[0])
    else:
        hb.info("data call %d up, ip %s" % (args[0], dataCall.getInfo(args[0], 0)[2][2]))


def count_error(what):
    stats["errors"][what] = stats["errors"].get(what, 0) + 1


def connect():
    stage, state = checkNet.waitNetworkReady(60)
    if stage != 3 or state != 1:
        raise OSError(113)  # no network: try again later
    addr = usocket.getaddrinfo(HOST, PORT)[0][-1]
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    try:
        s.settimeout(10)
        s.connect(addr)
        if KEEPALIVE:
            s.setsockopt(usocket.SOL_SOCKET, usocket.TCP_KEEPALIVE, KEEPALIVE)
    except Exception:
        s.close()
        raise
    stats["connects"] += 1
    hb.info("connected to %s:%d" % addr)
    return s


def main():
    dataCall.setCallback(on_pdp)
    start = utime.time()
    sock = None
    backoff = 1
    n = 0
    while utime.time() - start < RUN_FOR:
        try:
            if sock is None:
                sock = connect()
                backoff = 1
            n += 1
            msg = b"HB %d\n" % n
            sock.send(msg)
            stats["sent"] += 1
            answer = b""
            while len(answer) < len(msg):
                part = sock.recv(64)
                if not part:
                    raise OSError(107)  # the server closed the connection
                answer += part
            stats["answered"] += 1
            utime.sleep(INTERVAL)
        except OSError as e:
            code = e.args[0]
            count_error(code)
            hb.warning("heartbeat %d failed: OSError %s" % (n, code))
            if sock is not None:
                sock.close()
                sock = None
            utime.sleep(backoff)
            backoff = min(backoff * 2, 60)
    if sock is not None:
        sock.close()
    errors = ", ".join("%s x%d" % (k, v) for k, v in sorted(stats["errors"].items()))
    print("heartbeats %d/%d answered, %d connects, %d data-call drops, errors: %s" % (
        stats["answered"], stats["sent"], stats["connects"], stats["pdp_down"], errors or "none"))


main()
