// Virtual services: the in-process peers a scenario declares on its virtual
// hosts (echo, discard, an HTTP server, a scripted TCP dialogue).
//
// Each accepted connection gets a PeerEnd: the far side of TCP (SYN-ACK, the
// receive window, FIN and RST) driven by events, with no thread of its own, so
// thousands of exchanges cost little in virtual time. A service decides what
// to do with the bytes that arrive.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qpysim/byte_queue.hpp"
#include "qpysim/link.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/socket.hpp"

namespace qpysim {

class Modem;

// What a scenario can ask an HTTP service to answer.
struct HttpRoute {
    std::string method = "GET";  // "*" matches any method
    std::string path = "/";      // exact, or a prefix when it ends with '*'
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    Duration delay{0};   // before the response goes out
    bool close = false;  // close the connection after this response
};

// One step of a scripted TCP dialogue.
struct ScriptStep {
    enum class Kind { expect, send, delay, close, reset };
    Kind kind = Kind::send;
    std::string text;  // expect / send
    Duration delay{0};
};

struct ServiceSpec {
    enum class Kind { echo, discard, http, script, listener };
    Kind kind = Kind::echo;
    std::vector<HttpRoute> routes;
    std::vector<ScriptStep> steps;
};

const char* to_string(ServiceSpec::Kind k) noexcept;

// A virtual host of the scenario: a name (or none), an address (or one is
// drawn from 203.0.113.0/24), and its services.
struct HostConfig {
    std::string name;
    std::optional<std::string> address;
    std::map<std::uint16_t, ServiceSpec> tcp;
    std::map<std::uint16_t, ServiceSpec::Kind> udp;
};

// The far end of one TCP connection, for a built-in service. All calls with
// the core lock held.
class PeerEnd : public SegmentSink, public std::enable_shared_from_this<PeerEnd> {
  public:
    PeerEnd(Modem& modem, std::shared_ptr<Connection> conn, Side side);
    ~PeerEnd() override = default;

    void on_segment(const std::shared_ptr<Connection>& via, Segment s) override;
    void on_peer_detached() override;
    void on_give_up() override;

    // For the service: send bytes (queued behind the device's window), close
    // after what is queued (FIN), or reset now.
    void send(std::string_view data);
    void close();
    void reset();
    bool open() const noexcept { return phase_ == Phase::open; }
    Modem& modem() noexcept { return modem_; }
    std::uint64_t id() const noexcept { return conn_->id(); }

  protected:
    // The service's side. on_data gets each arriving chunk; on_eof when the
    // device closed its side.
    virtual void on_open() {}
    virtual void on_data(std::string_view data) = 0;
    virtual void on_eof() { close(); }

  private:
    enum class Phase { syn_received, open, closed };
    void flush();
    void update_window();

    Modem& modem_;
    std::shared_ptr<Connection> conn_;
    Side side_;
    Phase phase_ = Phase::syn_received;
    ByteQueue out_;
    std::uint64_t sent_ = 0;
    std::uint64_t device_edge_ = 0;
    std::uint64_t consumed_ = 0;
    std::uint64_t advertised_ = 0;
    bool fin_pending_ = false;
    bool fin_sent_ = false;
    bool eof_ = false;
};

// Make the far end of a new connection to a built-in TCP service.
std::shared_ptr<PeerEnd> make_service_end(Modem& modem, const ServiceSpec& spec,
                                          std::shared_ptr<Connection> conn, Side side);

// A built-in UDP service: echo sends each datagram back, discard drops it.
class UdpService : public DatagramSink, public std::enable_shared_from_this<UdpService> {
  public:
    UdpService(Modem& modem, ServiceSpec::Kind kind, Endpoint at);
    void on_datagram(std::string data, Endpoint from) override;

  private:
    Modem& modem_;
    ServiceSpec::Kind kind_;
    Endpoint at_;
};

}  // namespace qpysim
