# A TCP server and a client on the emulated module, talking through the PC.
#
# qpysim exposes a device TCP server on 127.0.0.1 (at the device's own port
# when the PC has it free), so the device's client reaches it the way any PC
# program would: out through the host gateway and back in. Nothing leaves the
# machine. Runs unchanged on a module, where 127.0.0.1 is the module itself.
import usocket

PORT = 47601

srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP_SER)
srv.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
srv.bind(('', PORT))
srv.listen(1)
print('server listening, state', srv.getsocketsta())

cli = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
cli.connect(('127.0.0.1', PORT))
print('client connected, state', cli.getsocketsta())

conn, ip, port = srv.accept()
print('server accepted', ip)

cli.send('hello from the client')
print('server got', conn.recv(64))
conn.send(b'hello from the server')
print('client got', cli.recv(64))

cli.close()
print('server sees end of stream', conn.recv(64), 'state', conn.getsocketsta())
conn.close()
srv.close()
print('closed, state', srv.getsocketsta())
