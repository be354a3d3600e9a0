# An HTTPS client as QuecPython apps write it with the firmware's request
# module: fetch the device's configuration, then post readings, retrying with
# back-off when the server is busy or the network fails. It runs unchanged on
# a module and under qpysim.
#
#   qpysim run --scenario scenarios/https-api.yaml examples/http_client.py
#
# Arguments: [readings to post (5)]
import checkNet
import log
import modem
import request
import usys
import utime

PROJECT_NAME = "QuecPython_HTTP_client"
PROJECT_VERSION = "1.0.0"
API = "https://api.example.com/v1"
READINGS = int(usys.argv[1]) if len(usys.argv) > 1 else 5

log.basicConfig(level=log.INFO)
app = log.getLogger("APP")
device = modem.getDevImei()


def call(method, path, **kw):
    """(status, json body or None), or (None, error text) when it failed."""
    try:
        r = method(API + path, timeout=10, **kw)
        body = r.json() if r.status_code in (200, 201) else None
        return r.status_code, body
    except Exception as e:
        return None, str(e)


def post_with_retry(reading):
    delay = 5
    for attempt in range(1, 5):
        status, body = call(request.post, "/readings", json=reading)
        if status == 201:
            return attempt
        app.warning("attempt %d: %s, trying again in %d s" % (attempt, status or body, delay))
        utime.sleep(delay)
        delay *= 2
    return 0


if __name__ == "__main__":
    checknet = checkNet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION)
    stage, state = checknet.wait_network_connected(30)
    if stage != 3 or state != 1:
        app.error("no network: stage %d, state %d" % (stage, state))
        usys.exit(1)

    status, config = call(request.get, "/config?device=" + device)
    interval = config["interval"] if status == 200 else 60
    app.info("config: %s, posting every %d s" % (config, interval))

    posted = 0
    for seq in range(READINGS):
        attempts = post_with_retry({"device": device, "seq": seq, "t": utime.time()})
        if attempts:
            posted += 1
            app.info("reading %d posted (attempt %d)" % (seq, attempts))
        else:
            app.error("reading %d given up" % seq)
        utime.sleep(interval)
    print("%d of %d readings posted" % (posted, READINGS))
