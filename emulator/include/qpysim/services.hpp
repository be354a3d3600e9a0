// Virtual services: the in-process servers a scenario declares on its virtual
// hosts (echo, discard, http, script, mqtt, ntp), after toxiproxy's toxics: one
// file per kind in emulator/src/services/, each a short description of its
// settings plus its behaviour, and register_builtin_services() (services.cpp)
// lists every kind in one explicit place.
//
// The layers, from the wire up:
//  - PeerEnd is the far end of one TCP connection: SYN-ACK, the receive window,
//    FIN and RST, driven by segment events with no thread of its own, so
//    thousands of exchanges cost little in virtual time.
//  - A Session is one connection's worth of a service: it is told what arrives
//    and answers through its Stream (the PeerEnd, or a TLS layer in front of it
//    when the scenario says `tls:`).
//  - A Service is one kind on one host:port, made once per power-on: it makes
//    the sessions of its TCP connections, answers UDP datagrams, and keeps what
//    outlives a connection (an MQTT broker's sessions and retained messages).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qpysim/byte_queue.hpp"
#include "qpysim/link.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/socket.hpp"

namespace YAML {
class Node;
}

namespace qpysim {

class Modem;
class ConfigReader;
struct Fault;
namespace mqtt {
class BrokerAccess;
}

// Where a session's bytes go: the TCP connection, or a TLS layer over it.
class Stream {
  public:
    virtual ~Stream() = default;
    // Queue bytes behind what is already queued.
    virtual void send(std::string_view data) = 0;
    // Close after what is queued (FIN, or TLS close_notify then FIN).
    virtual void close() = 0;
    // Abort now (RST).
    virtual void reset() = 0;
    virtual bool open() const noexcept = 0;
    // The device's end of the connection.
    virtual Endpoint remote() const = 0;
};

// One TCP connection's worth of a service. All calls with the core lock held.
// A session may outlive its connection for a moment (a timer holding it):
// send/close/reset then do nothing.
class Session : public std::enable_shared_from_this<Session> {
  public:
    virtual ~Session() = default;
    void attach(Stream* out) noexcept { out_ = out; }
    void detach() noexcept { out_ = nullptr; }

    // The connection is established (and the TLS handshake done, with tls:).
    virtual void on_open() {}
    virtual void on_data(std::string_view data) = 0;
    // The device closed its side (FIN, or TLS close_notify).
    virtual void on_eof() { close(); }
    // The connection is gone: closed both ways, reset, or aborted. Last call.
    virtual void on_closed() {}

  protected:
    void send(std::string_view data) {
        if (out_) out_->send(data);
    }
    void close() {
        if (out_) out_->close();
    }
    void reset() {
        if (out_) out_->reset();
    }
    bool is_open() const noexcept { return out_ && out_->open(); }
    Endpoint remote() const { return out_ ? out_->remote() : Endpoint{}; }

  private:
    Stream* out_ = nullptr;
};

// What a service knows about where it runs.
struct ServiceContext {
    Modem* modem = nullptr;
    Endpoint at;       // the service's address and port
    std::string host;  // the virtual host's name ("" for an address-only host)
    // State the services of one host share, by name (the mqtt ports' broker).
    std::shared_ptr<std::map<std::string, std::shared_ptr<void>>> host_shared;
};

// One kind of service on one host:port. All calls with the core lock held.
class Service : public DatagramSink, public std::enable_shared_from_this<Service> {
  public:
    explicit Service(ServiceContext ctx) : ctx_(std::move(ctx)) {}
    ~Service() override = default;

    // TCP: the session for a new connection.
    virtual std::shared_ptr<Session> open_session() { return nullptr; }
    // UDP: a datagram from `from`.
    void on_datagram(std::string /*data*/, Endpoint /*from*/) override {}
    // A service fault was just applied: one that acts at once (a broker
    // disconnecting clients) acts now.
    virtual void on_fault(const Fault& /*f*/) {}
    // The MQTT broker behind this port, under any layer in front of it (TLS),
    // for tests (Device.broker); null for other kinds.
    virtual mqtt::BrokerAccess* broker_access() noexcept { return nullptr; }

    const ServiceContext& context() const noexcept { return ctx_; }
    Modem& modem() const noexcept { return *ctx_.modem; }

  private:
    ServiceContext ctx_;
};

// A service kind's settings as the scenario gave them, parsed by the kind.
class ServiceConfig {
  public:
    virtual ~ServiceConfig() = default;
    // A few words for `qpysim check` ("3 routes", "2 users").
    virtual std::string summary() const { return {}; }
};

// `tls:` on a TCP service: the certificate the server presents.
struct TlsConfig {
    // PEM files (read when the scenario is loaded); empty: a certificate for
    // the host's name and address, signed by the run's own CA.
    std::string cert_pem;
    std::string key_pem;
    std::string cert_file;  // for messages
};

// A service as the scenario declared it on one port.
struct ServiceSpec {
    std::string kind;  // "echo", "http"...
    std::shared_ptr<const ServiceConfig> config;
    std::optional<TlsConfig> tls;
};

// The registry entry of one kind.
struct ServiceKind {
    std::string name;
    bool tcp = true;
    bool udp = false;
    std::string summary;
    // key -> "what it means, units, default", for listings and the schema.
    std::vector<std::pair<std::string, std::string>> settings;
    // Read the kind's settings: `node` is what follows the kind's name
    // (`http: [...]`), or a null node for the bare word (`7: echo`). Errors go
    // through the reader, which names the file, line and column.
    std::function<std::shared_ptr<const ServiceConfig>(const ConfigReader&, const YAML::Node&)>
        parse;
    std::function<std::shared_ptr<Service>(ServiceContext, std::shared_ptr<const ServiceConfig>)>
        make;
};

class ServiceRegistry {
  public:
    void add(ServiceKind k);
    const ServiceKind* find(const std::string& name) const noexcept;
    const std::vector<ServiceKind>& kinds() const noexcept { return kinds_; }

  private:
    std::vector<ServiceKind> kinds_;
};

// Every built-in service, registered in one explicit place (services.cpp).
const ServiceRegistry& builtin_services();

// The service for one declared port, TLS included.
std::shared_ptr<Service> make_service(const ServiceSpec& spec, ServiceContext ctx);

// A virtual host of the scenario: a name (or none), an address (or one is
// drawn from 203.0.113.0/24), and its services.
struct HostConfig {
    std::string name;
    std::optional<std::string> address;
    std::map<std::uint16_t, ServiceSpec> tcp;
    std::map<std::uint16_t, ServiceSpec> udp;
};

// The far end of one TCP connection to a service. All calls with the core
// lock held.
class PeerEnd final : public SegmentSink,
                      public Stream,
                      public std::enable_shared_from_this<PeerEnd> {
  public:
    PeerEnd(Modem& modem, std::shared_ptr<Connection> conn, Side side,
            std::shared_ptr<Session> session);
    ~PeerEnd() override;

    void on_segment(const std::shared_ptr<Connection>& via, Segment s) override;
    void on_peer_detached() override;
    void on_give_up() override;

    // Stream
    void send(std::string_view data) override;
    void close() override;
    void reset() override;
    bool open() const noexcept override { return phase_ == Phase::open; }
    Endpoint remote() const override { return conn_->endpoint(other(side_)); }

    std::uint64_t id() const noexcept { return conn_->id(); }

  private:
    enum class Phase { syn_received, open, closed };
    void opened();
    void finished();
    void flush();
    void update_window();

    Modem& modem_;
    std::shared_ptr<Connection> conn_;
    Side side_;
    std::shared_ptr<Session> session_;
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

// ---- the TLS layer (services/tls.cpp) ----

// The run's own certificate authority: an Ed25519 key and certificate derived
// from the seed, so a seed gives the same CA (and the same bytes on the wire)
// every run. Certificates for virtual hosts are made from it on demand.
class TlsAuthority {
  public:
    explicit TlsAuthority(std::uint64_t seed);
    ~TlsAuthority();
    TlsAuthority(const TlsAuthority&) = delete;
    TlsAuthority& operator=(const TlsAuthority&) = delete;

    // The CA certificate, PEM.
    const std::string& ca_pem() const noexcept { return ca_pem_; }
    // A certificate and key (PEM) for a host name and address, signed by the CA.
    std::pair<std::string, std::string> issue(const std::string& name, const IpAddress& ip);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string ca_pem_;
    std::uint64_t seed_;
    std::uint64_t serial_ = 2;
};

// Throws UsageError naming what is wrong with a certificate and key (PEM).
void check_tls_config(const TlsConfig& tls);

// Would mbedtls accept these CA certificates (PEM) checked against themselves,
// as QuecPython's ussl does before using them? nullopt if so, else why not. A
// validity that starts in the future is accepted, as the firmware accepts it.
std::optional<std::string> check_ca_certificates(const std::string& pem);
// For a device's own certificate and key (PEM): "key" or "cert", whichever does
// not parse (the key first, as mbedtls does), "mismatch", or nullopt.
std::optional<std::string> check_key_pair(const std::string& cert, const std::string& key);

// A service with TLS in front: each session's bytes pass through a TLS server
// (OpenSSL over memory buffers, no sockets) before the inner session sees them.
// Throws UsageError if the certificate or key cannot be used.
std::shared_ptr<Service> make_tls_service(std::shared_ptr<Service> inner, const TlsConfig& tls,
                                          ServiceContext ctx);

}  // namespace qpysim
