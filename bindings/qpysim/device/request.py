"""request: HTTP(S) requests, as QuecPython's frozen request module makes them.

Written on the device's own usocket (and ussl for https), so DNS, the data
call, faults, timeouts and the trace apply. Behaviour, from the firmware's
ports/quectel/py/request.py (QuecPython/micropython@93ac4925):

- get/post/put/patch/delete/head(url, **kw) -> request(method, url, data=None,
  json=None, files=None, stream=None, decode=True, sizeof=2048, timeout=20,
  headers=None, ssl_params=None, version=0, files_data=None, files_data_len=None,
  files_name=None, ipvtype=0, username=None, password=None) (l.116-117, 449-470).
  `stream` is not used, and neither is `decode`: responses always decode (l.442).
- URLs (l.124-260): a host name with or without http:// (ports 80/443 or
  host:port; another scheme: ValueError('Unsupported protocol: ...')); an IPv4
  literal needs a scheme or a port ('1.2.3.4' alone: ValueError('MissingSchema:
  ...')); '[v6]' hosts with ipvtype=1. A name that does not resolve:
  IndexError('Domain name resolution error, please check network connection').
- A socket that cannot be made: RuntimeError("socket resource malloc FAIL=..."),
  a connect that fails: RuntimeError("HTTP Connection '<error>' FAIL='<url>'"),
  a TLS failure: RuntimeError("HTTPS USSL '<error>' FAIL='<url>'") (l.282-303).
  The socket timeout is `timeout` seconds (l.287).
- On the wire (l.304-403): the request line (HTTP/1.0, or 1.1 with version=1
  and "Connection: close"), "Host: <host>" without the port, the headers one
  write each, Basic auth, "Content-Length" and the body for data/json (the
  length of a str counts characters, l.350: text with non-ASCII characters,
  Chinese in a json= body say, is cut short by the server; qpysim notes it on
  stderr), multipart bodies for files and
  files_data, then a final "\\r\\n" (also after a body, l.402).
- The status line that does not parse: ValueError('InvalidSchema: No
  connection adapters were found for ...') (l.412). Headers are split at ':'
  and keep the text between the first and second ':' with its leading space
  (l.420-422); "Content-Length:" is matched with that exact case (l.431);
  chunked bodies are read whole before request() returns (l.28-45, 439-440);
  redirects are not followed (l.434-435, commented out on the firmware).
- Response: status_code, reason (bytes), headers, content and text (generators
  of str chunks of at most 2048 bytes; a timeout while reading raises
  ValueError('[Errno 110] ETIMEDOUT'), other errors end the generator quietly),
  json() (ValueError('The data for the response cannot be converted to
  JSON-type data,please try use response.content method')), close() (l.47-113).
  Whether close() closes is one flag for the whole module, as on the firmware.
"""

from qpysim._runtime import current_device as _current_device
from qpysim.device._common import advise_char_length as _advise_char_length

_dev = _current_device()
_usocket = _dev.module("usocket")
_ujson = _dev.module("ujson")
_utime = _dev.module("utime")
_uio = _dev.module("uio")
_uos = _dev.module("uos")
_ubinascii = _dev.module("ubinascii")
_dataCall = _dev.module("dataCall")

# One flag for every response, as the firmware's global s_isopen.
_shared = {"open": True}

_BLOCK = 2048


def _read_chunked(sock):
    """A chunked body, every chunk, as the firmware reads it before returning."""
    body = b""
    while True:
        size = b""
        while True:
            ch = sock.read(1)
            if ch == b"\r":
                continue
            if ch == b"\n":
                break
            size += ch
        n = int(size, 16)
        if n == 0:
            return body
        body += sock.read(n)
        sock.read(2)  # the chunk's CRLF


class Response:
    def __init__(self, f, decode=True, sizeof=4096, flag=False):
        self.raw = f
        self.encoding = "utf-8"
        self.decode = decode
        self.sizeof = sizeof
        self.read_len = 0
        self.read_data = sizeof
        self.flag = flag

    def close(self):
        if self.raw and _shared["open"]:
            self.raw.close()
            self.raw = None

    def _finish(self):
        self.raw.close()
        _shared["open"] = False

    @property
    def content(self):
        try:
            while True:
                if self.read_data > _BLOCK:
                    block = self.raw.read(_BLOCK)
                    self.read_data -= _BLOCK
                else:
                    block = self.raw.read(self.read_data)
                self.read_len += len(block)
                if not block:
                    self._finish()
                    break
                yield block.decode() if self.decode else block
                if self.flag and self.read_len == self.sizeof:
                    self._finish()
                    break
        except Exception as e:  # noqa: BLE001 - the firmware ends the body quietly
            self._finish()
            if "ETIMEDOUT" in str(e):
                raise ValueError(str(e)) from None
        return ""

    @property
    def text(self):
        for chunk in self.content:
            yield str(chunk)
        return ""

    def json(self):
        try:
            text = "".join(self.content)
            return _ujson.loads(text) if text else None
        except Exception:  # noqa: BLE001
            raise ValueError("The data for the response cannot be converted to JSON-type "
                             "data,please try use response.content method") from None


def _pick(answers, family, error):
    for a in answers:
        if a[0] == family:
            return a[-1]
    raise ValueError(error)


def _parse_url(url, ipvtype):
    """(proto, host, port, path, address) as the firmware splits and resolves a URL."""
    v6_literal = ipvtype == 1 and url.split("[")[0] in ("http://", "https://")
    if v6_literal:
        parts = url.split("/", 3)
        proto, hosts = parts[0], parts[2]
        path = parts[3] if len(parts) > 3 else ""
        left = hosts.find("[")
        if left < 0:
            raise ValueError("http missing left delimiter:" + url)
        right = hosts.find("]", left + 1)
        if right < 0:
            raise ValueError("http missing right delimiter:" + url)
        host = hosts[left + 1:right]
        port = None
        if hosts[right + 1:right + 2] == ":":
            try:
                port = int(hosts[right + 2:])
            except ValueError:
                port = None
        port = _default_port(proto, port)
        answers = _resolve(host, port, "Domain name resolution error, please check network "
                                       "connection:" + host)
        addr = _pick(answers, 10, "Request DNS Parsing IPV6 Fail")
        return proto, hosts, port, path, addr
    if not url.split(".")[0].isdigit():
        if not url.startswith("http"):
            url = "http://" + url
        parts = url.split("/", 3)
        if len(parts) < 3:
            raise ValueError("not enough values to unpack (expected 3, got %d)" % len(parts))
        proto, host = parts[0], parts[2]
        path = parts[3] if len(parts) > 3 else ""
        port = None
        if ":" in host:
            info = host.split(":")
            host, port = info[0], int(info[1])
        port = _default_port(proto, port)
        answers = _resolve(host, port, "Domain name resolution error, please check network "
                                       "connection")
    else:
        if ":" not in url:
            raise ValueError("MissingSchema: Invalid URL '{}': No schema supplied. Perhaps you "
                             "meant http://{}? ".format(url, url))
        proto, path = "", ""
        try:
            if "/" in url:
                hostport, path = url.split("/", 1)
                host, port = hostport.split(":")
            else:
                host, port = url.split(":")
        except ValueError:
            raise ValueError("URL address error: " + url) from None
        answers = _resolve(host, port, "Domain name resolution error, please check network "
                                       "connection")
    if ipvtype == 1:
        addr = _pick(answers, 10, "Request DNS Parsing IPV_6 Fail" if proto else
                     "Request DNS Parsing IPV6 Fail")
    else:
        addr = _pick(answers, 2, "Request DNS Parsing IPV_4 Fail" if proto else
                     "Request DNS Parsing IPV4 Fail")
    return proto, host, port, path, addr


def _default_port(proto, port):
    if proto == "http:":
        return 80 if port is None else port
    if proto == "https:":
        return 443 if port is None else port
    raise ValueError("Unsupported protocol: " + proto)


def _resolve(host, port, error):
    try:
        return _usocket.getaddrinfo(host, port, 0, _usocket.SOCK_STREAM)
    except Exception:  # noqa: BLE001 - every lookup failure reads the same on the firmware
        raise IndexError(error) from None


def _open_socket(ipvtype):
    try:
        if ipvtype == 1:
            s = _usocket.socket(_usocket.AF_INET6, _usocket.SOCK_STREAM,
                                _usocket.TCP_CUSTOMIZE_PORT)
        else:
            s = _usocket.socket(_usocket.AF_INET, _usocket.SOCK_STREAM)
    except Exception as e:  # noqa: BLE001
        raise RuntimeError("socket resource malloc FAIL='{}'".format(str(e))) from None
    if ipvtype == 1:
        info = _dataCall.getInfo(1, 1)
        if info == -1:
            raise ValueError("request Connect dataCall get Info FAIL")
        if info[2][0] != 1:
            raise ValueError("request Connect dataCall get IPV6 Info FAIL")
        try:
            s.bind((info[2][2], 0))
        except Exception:  # noqa: BLE001
            raise ValueError("request sock bind IPV6 IP FAIL") from None
    return s


def _multipart_head(boundary, filename):
    return ('--{0}\r\nContent-Disposition: form-data; name="file"; filename="{1}"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n').format(boundary, filename)


def _send_files(s, files, boundary):
    path = files.get("filepath")
    with _dev.fs.open(path, "rb") as f:
        first = f.read(4096)
        if files.get("name") is not None:
            # The firmware formats the first 4096 bytes into the part, then
            # sends the file again after it (l.376-378, 398-400).
            head = "--{0}\r\nContent-Disposition: form-data; {1}\r\n\r\n{2}\r\n--{0}".format(
                boundary, files.get("name"), first)
        else:
            head = _multipart_head(boundary, files.get("filename"))
        if files.get("filepath1") is not None:
            with _dev.fs.open(files.get("filepath1"), "r") as f1:
                second = f1.read()
            if files.get("name1") is not None:
                head += "\r\nContent-Disposition: form-data; {1}\r\n\r\n{2}\r\n--{0}".format(
                    boundary, files.get("name1"), second)
            else:
                if files.get("filename1") is None:
                    raise ValueError("Missing key parameters 'filename1' ")
                head += ('\r\nContent-Disposition: form-data; name="file"; filename="{1}"\r\n'
                         'Content-Type: application/octet-stream\r\n\r\n{2}\r\n--{0}').format(
                    boundary, files.get("filename1"), second)
        tail = "\r\n--{0}--\r\n".format(boundary)
        length = _uos.stat(path)[-4] + len(head) + len(tail)
        s.write(b"Content-Length: %d\r\n" % length)
        s.write(b"\r\n")
        s.write(head)
        chunk = first
        while chunk:
            s.write(chunk)
            chunk = f.read(4096)
        s.write(tail)


def request(method, url, data=None, json=None, files=None, stream=None, decode=True,
            sizeof=2048, timeout=20, headers=None, ssl_params=None, version=0, files_data=None,
            files_data_len=None, files_name=None, ipvtype=0, username=None, password=None):
    _shared["open"] = True
    original = url
    proto, host, _port, path, addr = _parse_url(url, ipvtype)
    s = _open_socket(ipvtype)
    s.settimeout(timeout)
    try:
        try:
            s.connect(addr)
        except Exception as e:  # noqa: BLE001
            s.close()
            raise RuntimeError("HTTP Connection '{}' FAIL='{}'".format(str(e), original)) from None
        if proto == "https:":
            ussl = _dev.module("ussl")
            try:
                if ssl_params:
                    s = ussl.wrap_socket(s, **ssl_params, server_hostname=host)
                else:
                    s = ussl.wrap_socket(s, server_hostname=host)
            except Exception as e:  # noqa: BLE001
                s.close()
                raise RuntimeError("HTTPS USSL '{}' FAIL='{}'".format(str(e), original)) from None
        s.write("{} /{} HTTP/1.{}\r\n".format(method, path, 1 if version == 1 else 0).encode())
        s.write(("Host: %s\r\n" % host).encode())
        if version == 1:
            s.write(b"Connection: close\r\n")
        boundary = None
        if headers:
            if files:
                boundary = str(_utime.time())
                if not (files.get("filepath") and files.get("filename")):
                    raise ValueError("Missing key parameters 'filepath' and 'filename'")
                if headers.get("Content-Type") == "multipart/form-data":
                    headers["Content-Type"] += "; boundary={}".format(boundary)
                    headers["charset"] = "UTF-8"
            if files_data:
                boundary = str(_utime.time())
                if headers.get("Content-Type") == "multipart/form-data":
                    headers["Content-Type"] += "; boundary={}".format(boundary)
                    headers["charset"] = "UTF-8"
        else:
            headers = {}
            if files:
                boundary = str(_utime.time())
                headers["Content-Type"] = "multipart/form-data; boundary={}".format(boundary)
                headers["charset"] = "UTF-8"
            if json:
                headers["Content-Type"] = "application/json"
        for k in headers:
            s.write(k)
            s.write(b": ")
            s.write(headers[k])
            s.write(b"\r\n")
        if username is not None and password is not None:
            try:
                token = _ubinascii.b2a_base64("{}:{}".format(username, password))[:-1].decode()
                s.write("Authorization: Basic {}\r\n".format(token).encode())
            except Exception as e:  # noqa: BLE001
                s.close()
                raise RuntimeError("HTTP base64 FAIL='{}'".format(str(e))) from None
        if json is not None:
            assert data is None
            data = _ujson.dumps(json)
        if data:
            _advise_char_length(_dev, "request body", data)
            s.write(b"Content-Length: %d\r\n" % len(data))
            s.write(b"\r\n")
            s.write(data)
        if files_data:
            if files_name is None:
                raise ValueError("files_name must have")
            if files_data_len is None:
                raise ValueError("files_data_len must have")
            if boundary is None:
                # The firmware makes the boundary only when headers were given.
                raise NameError("local variable 'boundary' referenced before assignment")
            head = _multipart_head(boundary, files_name)
            tail = "\r\n--{0}--\r\n".format(boundary)
            s.write(b"Content-Length: %d\r\n" % (files_data_len + len(head) + len(tail)))
            s.write(b"\r\n")
            s.write(head)
            s.write(files_data[0:files_data_len])
            s.write(tail)
        if files:
            _send_files(s, files, boundary)
        if not (files and data and files_data):
            s.write(b"\r\n")
        line = s.readline()
        try:
            words = line.split(None, 2)
            status = int(words[1])
        except Exception:  # noqa: BLE001
            raise ValueError("InvalidSchema: No connection adapters were found for "
                             "'{}'".format(original)) from None
        reason = words[2].rstrip() if len(words) > 2 else ""
        length = sizeof
        has_length = False
        chunked = False
        fields = {}
        while True:
            line = s.readline()
            parts = line.decode().split(":")
            if len(parts) > 1:
                fields[parts[0]] = parts[1].replace("\n", "").replace("\r", "")
            if not line or line == b"\r\n":
                break
            if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                chunked = True
            if line.startswith(b"Content-Length:"):
                length = int(line.split(b" ")[1])
                has_length = True
    except OSError:
        s.close()
        raise
    if chunked:
        resp = Response(_uio.BytesIO(_read_chunked(s)), sizeof=length)
    else:
        resp = Response(s, sizeof=length, flag=has_length)
    resp.status_code = status
    resp.reason = reason
    resp.headers = fields
    return resp


def head(url, **kw):
    return request("HEAD", url, **kw)


def get(url, **kw):
    return request("GET", url, **kw)


def post(url, **kw):
    return request("POST", url, **kw)


def put(url, **kw):
    return request("PUT", url, **kw)


def patch(url, **kw):
    return request("PATCH", url, **kw)


def delete(url, **kw):
    return request("DELETE", url, **kw)
