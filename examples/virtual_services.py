# Every kind of virtual service in scenarios/services-demo.yaml, from a device
# script: TCP echo and discard, UDP echo, HTTP routes and a scripted dialogue.
#
#   qpysim run --scenario scenarios/services-demo.yaml examples/virtual_services.py
import usocket
import utime


def addr(host, port):
    return usocket.getaddrinfo(host, port)[0][-1]


t0 = utime.ticks_ms()
s = usocket.socket()
s.connect(addr('echo.qpysim.test', 7))
print('connected in', utime.ticks_diff(utime.ticks_ms(), t0), 'ms')   # one round trip
s.send('hello echo')
print('echo:', s.recv(64))
s.close()

u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
u.sendto(b'datagram', addr('echo.qpysim.test', 7))
print('udp echo:', u.recvfrom(64))
u.close()

h = usocket.socket()
h.connect(addr('api.qpysim.test', 80))
h.send(b'GET /status HTTP/1.1\r\nHost: api.qpysim.test\r\n\r\n')
print('http:', h.recv(512).split(b'\r\n\r\n')[1])
h.close()

d = usocket.socket()
d.connect(addr('modem.qpysim.test', 5000))
d.send(b'AT\r\n')
print('dialogue:', d.readline(), d.readline())
try:
    d.recv(16)
except OSError as e:  # the read that meets the server's FIN (then b'')
    print('closed by the server:', e, d.recv(16), d.getsocketsta())
d.close()
