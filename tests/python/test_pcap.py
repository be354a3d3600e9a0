"""--pcap: the device's packets as a pcapng file, read back with tshark as a
user would in Wireshark: the followed TCP stream is what the script sent and
received, a lost segment shows as a retransmission, DNS lookups are DNS
packets, UDP is UDP, and the same seed writes the same file."""

import shutil
import subprocess
import sys
import textwrap

import pytest

import qpysim

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed "
                                "(bash scripts/setup.sh --no-run --test installs it)")

SCENARIO = """
version: 1
hosts:
  echo.qpysim.test:
    7: echo
    7/udp: echo
link:
  latency: 40ms
  loss: 0.2
"""

SCRIPT = """
import usocket
addr = usocket.getaddrinfo("echo.qpysim.test", 7)[0][-1]
s = usocket.socket()
s.connect(addr)
sent = got = b""
for i in range(20):
    msg = b"line %d " % i + b"x" * (i * 50) + b"\\n"
    s.write(msg)
    sent += msg
    got += s.readline()
s.close()
with open("/usr/sent.bin", "wb") as f:
    f.write(sent)
with open("/usr/got.bin", "wb") as f:
    f.write(got)
u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
u.sendto(b"udp hello", addr)
print(u.recvfrom(64)[0])
u.close()
try:
    usocket.getaddrinfo("nowhere.invalid", 80)
except OSError as e:
    print("dns", e.args[0])
"""


def capture(tmp_path, name="cap.pcapng", seed=3):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "main.py").write_text(textwrap.dedent(SCRIPT))
    r = subprocess.run([sys.executable, "-m", "qpysim", "run", "-q", "--scenario",
                        str(tmp_path / "s.yaml"), "--seed", str(seed), "--pcap",
                        str(tmp_path / name), str(tmp_path / "main.py")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return tmp_path / name


def tshark(*args):
    r = subprocess.run([TSHARK, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def followed(path):
    """The TCP stream 0 of the capture, each direction's bytes joined."""
    out = tshark("-r", str(path), "-q", "-z", "follow,tcp,raw,0")
    body = out.split("Node 1:", 1)[1].splitlines()[1:]
    up = b"".join(bytes.fromhex(l) for l in body if l and not l.startswith(("\t", "=")))
    down = b"".join(bytes.fromhex(l.strip()) for l in body if l.startswith("\t"))
    return up, down


def test_the_followed_tcp_stream_is_what_the_script_sent_and_received(tmp_path):
    path = capture(tmp_path)
    up, down = followed(path)
    assert up == (tmp_path / "sent.bin").read_bytes()
    assert down == (tmp_path / "got.bin").read_bytes() == up
    flags = tshark("-r", str(path), "-Y", "tcp.flags.syn==1 || tcp.flags.fin==1",
                   "-T", "fields", "-e", "tcp.flags.str")
    assert flags.count("S") >= 2 and flags.count("F") >= 2, flags  # SYN, SYN-ACK, FIN each way
    retransmitted = tshark("-r", str(path), "-Y", "tcp.analysis.retransmission")
    assert retransmitted.strip(), "20% loss and no retransmission in the capture"
    # Nothing Wireshark's TCP analysis calls broken but the retransmissions.
    bad = tshark("-r", str(path), "-Y", "tcp.analysis.flags && !tcp.analysis.retransmission"
                 " && !tcp.analysis.window_update")
    assert not bad.strip(), bad


def test_dns_lookups_and_udp_are_packets_of_their_own(tmp_path):
    path = capture(tmp_path)
    dns = tshark("-r", str(path), "-Y", "dns", "-T", "fields", "-e", "dns.qry.name",
                 "-e", "dns.flags.response", "-e", "dns.a").split("\n")
    assert "echo.qpysim.test\t0\t" in dns
    assert "echo.qpysim.test\t1\t203.0.113.10" in dns
    # An unknown name in virtual time times out: the query, never an answer.
    assert "nowhere.invalid\t0\t" in dns and not [d for d in dns if d.startswith("nowhere.invalid\t1")]
    udp = tshark("-r", str(path), "-Y", "udp.port==7", "-T", "fields", "-e", "udp.payload")
    assert udp.split() == ["udp hello".encode().hex()] * 2  # there and back


def test_the_same_seed_writes_the_same_capture(tmp_path):
    assert capture(tmp_path, "a.pcapng").read_bytes() == capture(tmp_path, "b.pcapng").read_bytes()
    assert capture(tmp_path, "c.pcapng", seed=4).read_bytes() != (tmp_path / "a.pcapng").read_bytes()


def test_a_capture_file_that_cannot_be_written_is_named(tmp_path):
    (tmp_path / "main.py").write_text("print(1)\n")
    r = subprocess.run([sys.executable, "-m", "qpysim", "run", "--pcap",
                        str(tmp_path / "no" / "such" / "x.pcapng"), str(tmp_path / "main.py")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "cannot write the capture file" in r.stderr and "x.pcapng" in r.stderr
    with pytest.raises(TypeError, match="pcap must be a path"):
        qpysim.Device(clock="virtual", pcap=5)
    dev = qpysim.Device(clock="virtual", pcap=tmp_path / "api.pcapng")
    dev.close()
    assert (tmp_path / "api.pcapng").read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"  # a pcapng section
