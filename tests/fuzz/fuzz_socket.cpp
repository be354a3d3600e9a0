// libFuzzer target: the device-facing socket API, as usocket calls it. The
// input is a program of calls on up to four sockets of one virtual-time modem
// (a virtual echo host, a silent host, the device itself): open with any
// family/type/proto, bind/connect to hosts with odd bytes (NUL, non-UTF-8,
// overlong names) and any int port, listen with any backlog, send and receive
// any sizes with any timeout, accept, peek, close twice, let time pass.
//
// Every call must return or throw what the bindings turn into the script's
// exception: qpysim::Error (an errno), UsageError with a message, or Halted
// once the module stops (a wait nothing can end). Anything else, a crash or a
// sanitizer report is a bug. After each call the socket's state is a lwIP
// number (-1..10), and the echo host returns bytes in the order sent (a
// read that fails midway drops what it took, as the firmware does).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qpysim/error.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/scenario.hpp"
#include "qpysim/socket.hpp"

namespace {

using namespace qpysim;

constexpr const char* kScenario =
    "clock: virtual\n"
    "hosts:\n"
    "  echo.fuzz.test: {address: 10.9.0.7, 7: echo, 9: discard, 7/udp: echo}\n"
    "dns:\n"
    "  silent.fuzz.test: 192.0.2.1\n";

void check_at(bool ok, int line) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_socket.cpp:%d: check failed\n", line);
    std::abort();
}
#define check(ok) check_at((ok), __LINE__)

class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
    bool done() const { return p_ >= end_; }
    std::uint8_t byte() { return done() ? 0 : *p_++; }
    int int32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v = (v << 8) | byte();
        return static_cast<int>(v);
    }
    // Small numbers are likelier than huge ones, but both come.
    int number() {
        const std::uint8_t k = byte();
        if (k < 200) return k;
        if (k < 250) return int32();
        return -static_cast<int>(byte());
    }
    std::string text() {
        const std::size_t n = byte() % 24;
        std::string s;
        for (std::size_t i = 0; i < n && !done(); ++i)
            s.push_back(static_cast<char>(byte()));
        return s;
    }
    std::string host() {
        switch (byte() % 9) {
            case 0:
                return "echo.fuzz.test";
            case 1:
                return "10.9.0.7";
            case 2:
                return "silent.fuzz.test";
            case 3:
                return "";
            case 4:
                return "127.0.0.1";
            case 5:
                return std::string("10.9.0.7\0x", 10);
            case 6:
                return "::1";
            case 7:
                return std::string(300, 'a') + ".test";
            default:
                return text();
        }
    }

  private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

int run(Modem& modem, Input& in) {
    std::vector<std::shared_ptr<Socket>> socks(4);
    // What socket 0 sent and got back since it last changed (a new socket, a
    // connect): a TCP echo host returns a prefix of what it was sent.
    std::string sent, echoed;
    const auto forget = [&] {
        sent.clear();
        echoed.clear();
    };
    while (!in.done()) {
        const std::uint8_t op = in.byte();
        auto& s = socks[in.byte() % socks.size()];
        const bool stream0 = &s == &socks[0] && s && s->type() == SockType::stream;
        const std::uint64_t read_before = stream0 ? s->bytes_read() : 0;
        try {
            switch (op % 16) {
                case 0: {
                    const int af = in.byte() % 3 == 0 ? in.number() : 2;
                    const int type = in.byte() % 3 == 0 ? in.number() : 1 + in.byte() % 3;
                    s = modem.open_socket(af, type, in.byte() % 4 == 0 ? in.number() : 0);
                    if (&s == &socks[0]) forget();  // a new socket 0
                    break;
                }
                case 1:
                    if (s) s->bind(in.host(), in.number());
                    break;
                case 2:
                    if (s) s->listen(in.number());
                    break;
                case 3:
                    if (s) {
                        const std::string host = in.host();
                        s->connect(host, in.byte() % 2 ? 7 : in.number());
                        if (&s == &socks[0]) forget();  // a new stream
                    }
                    break;
                case 4:
                    if (s) {
                        const std::string data = in.text();
                        const std::size_t n = s->send(data);
                        check(n <= data.size());
                        if (stream0) sent += data.substr(0, n);
                    }
                    break;
                case 5:
                    if (s) {
                        const Bytes b = s->recv(static_cast<std::size_t>(in.byte()));
                        if (stream0) echoed.append(b.data(), b.size());
                    }
                    break;
                case 6:
                    if (s) {
                        const int ms = in.number();
                        s->settimeout(ms < 0
                                          ? std::nullopt
                                          : std::optional<Duration>(std::chrono::milliseconds(ms)));
                    }
                    break;
                case 7:
                    if (s) s->close();
                    break;
                case 8:
                    if (s) {
                        // On a stream socket lwIP ignores the address: it is a send.
                        const std::string data = in.text();
                        const std::string host = in.host();
                        const std::size_t n = s->sendto(data, host, in.number());
                        if (stream0) sent += data.substr(0, n);
                    }
                    break;
                case 9:
                    if (s) {
                        Endpoint from;
                        const Bytes b = s->recvfrom(static_cast<std::size_t>(in.byte()), from);
                        if (stream0) echoed.append(b.data(), b.size());
                    }
                    break;
                case 10:
                    if (s) s->accept();
                    break;
                case 11:
                    if (s) {
                        const auto max = static_cast<std::size_t>(in.byte());
                        const bool peek = in.byte() % 2;
                        const Bytes b = s->recv(max, peek, in.byte() % 2);
                        if (stream0 && !peek) echoed.append(b.data(), b.size());
                    }
                    break;
                case 12:
                    if (s) {
                        const Bytes b = s->readline(static_cast<std::size_t>(in.byte()));
                        if (stream0) echoed.append(b.data(), b.size());
                    }
                    break;
                case 13:
                    modem.sleep(std::chrono::milliseconds(in.byte() * 100));
                    break;
                case 14:
                    if (s) s->set_linger_abort(in.byte() % 2);
                    break;
                default:
                    s.reset();  // the script drops its last reference
                    if (&s == &socks[0]) forget();
                    break;
            }
        } catch (const Error&) {
            // A read that fails after taking bytes drops them, as MicroPython's
            // stream readline does (py/stream.c): count them as read.
            if (stream0 && s) {
                const auto dropped = static_cast<std::size_t>(s->bytes_read() - read_before);
                check(echoed.size() + dropped <= sent.size());
                echoed += sent.substr(echoed.size(), dropped);
            }
        } catch (const UsageError& e) {
            if (e.what()[0] == '\0') std::fprintf(stderr, "empty UsageError at op %d\n", op % 16);
            check(e.what()[0] != '\0');  // every refusal says what was wrong
        } catch (const Halted&) {
            return 0;  // the module stopped: a wait nothing could end
        }
        for (const auto& k : socks) {
            if (k) check(k->tcp_state() >= -1 && k->tcp_state() <= 10);
        }
        check(echoed.size() <= sent.size() && sent.compare(0, echoed.size(), echoed) == 0);
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Scenario scenario = parse_scenario(kScenario, "fuzz.yaml");
    ModemConfig config;
    apply_scenario(scenario, config);
    config.host_network = false;  // virtual time: every peer is in-process
    Modem modem(config);
    Input in(data, size);
    modem.attach_thread("fuzz");
    try {
        run(modem, in);
    } catch (const Halted&) {
    }
    modem.detach_thread();
    return 0;
}
