#include "qpysim/host_gateway.hpp"

#include <algorithm>
#include <array>
#include <span>

#include <boost/asio/buffer.hpp>
#include <boost/asio/socket_base.hpp>

#include "qpysim/byte_queue.hpp"
#include "qpysim/modem.hpp"

namespace qpysim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using boost::system::error_code;

namespace {

// Device bytes the gateway accepts ahead of the OS socket (its receive window).
constexpr std::size_t kWindow = 1024 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;
// Bytes read from the OS socket ahead of the device's window, as a kernel's
// socket buffer would hold them; the device still only gets what its window
// allows.
constexpr std::size_t kReadAhead = 128 * 1024;

}  // namespace

// ---------------------------------------------------------------- TCP

class GatewayTcp final : public SegmentSink, public std::enable_shared_from_this<GatewayTcp> {
  public:
    GatewayTcp(HostGateway& gw, tcp::socket sock, std::shared_ptr<Connection> conn, Side side,
               Endpoint target)
        : gw_(gw),
          sched_(gw.modem().sched()),
          sock_(std::move(sock)),
          conn_(std::move(conn)),
          side_(side),
          target_(target) {}

    // An OS client connected to an exposed device server: open towards the device.
    void start_inbound() {
        phase_ = Phase::connecting;
        configure();
        advertised_ = written_ + kWindow;
        conn_->send(side_, Segment::syn(advertised_));
    }

    void on_segment(const std::shared_ptr<Connection>& /*via*/, Segment s) override {
        if (phase_ == Phase::done) return;  // the OS side is finished; nothing to say
        switch (s.kind) {
            case Segment::Kind::Syn:
                device_edge_ = std::max(device_edge_, s.window);
                if (phase_ == Phase::idle) {
                    connect_os();
                } else if (phase_ == Phase::open) {
                    conn_->send(side_, Segment::syn_ack(advertised_));  // our SYN-ACK was lost
                }
                break;
            case Segment::Kind::SynAck:
                // The device listener answered the SYN we sent for an OS client.
                if (phase_ != Phase::connecting) break;
                device_edge_ = std::max(device_edge_, s.window);
                phase_ = Phase::open;
                conn_->send(side_, Segment::ack(advertised_));
                service();
                try_write();
                break;
            case Segment::Kind::Ack:
                device_edge_ = std::max(device_edge_, s.window);
                service();
                break;
            case Segment::Kind::Data:
                wbuf_.append(std::move(s.data));
                try_write();
                break;
            case Segment::Kind::Fin:
                device_fin_ = true;
                conn_->send(side_, Segment::ack(advertised_, true));
                try_write();
                break;
            case Segment::Kind::Rst:
                trace("gateway_reset", "device reset the connection");
                finish(true);
                break;
            case Segment::Kind::Probe:     // answered by the Connection
            case Segment::Kind::ProbeAck:  // the gateway sends no probes
                break;
        }
    }

    void on_give_up() override {
        // The PC's side gave up retransmitting to the device: its stack would
        // abort the connection, so the PC peer is reset.
        trace("gateway_give_up", "retransmissions to the device exhausted");
        if (phase_ != Phase::done) finish(true);
    }

    void on_peer_detached() override {
        // The device's pcb is gone. After a clean close the OS side is already
        // finished; otherwise the PC peer is reset rather than left hanging.
        if (phase_ != Phase::done) finish(true);
        gw_.forget(this);
    }

    void shutdown() {
        if (phase_ != Phase::done) finish(true);
    }

  private:
    enum class Phase { idle, connecting, open, done };

    void configure() {
        error_code ec;
        sock_.set_option(tcp::no_delay(true), ec);
        sock_.non_blocking(true, ec);
    }

    void connect_os() {
        phase_ = Phase::connecting;
        const tcp::endpoint ep(target_.ip, target_.port);
        sock_.async_connect(ep, [self = shared_from_this()](const error_code& ec) {
            std::lock_guard lk(self->sched_.mutex());
            self->connected(ec);
            self->sched_.run_due();
        });
    }

    void connected(const error_code& ec) {
        if (phase_ != Phase::connecting) return;  // the device gave up meanwhile
        if (ec) {
            if (ec == asio::error::connection_refused) {
                trace("gateway_refused", ec.message());
                conn_->send(side_, Segment::rst());
            } else {
                // Unreachable or timed out: no RST comes back, the device's own
                // SYN retries decide, as with a dead host on the real internet.
                trace("gateway_connect_failed", ec.message());
            }
            phase_ = Phase::done;
            close_os(false);
            return;
        }
        configure();
        phase_ = Phase::open;
        advertised_ = written_ + kWindow;
        trace("gateway_connected", target_.to_string());
        conn_->send(side_, Segment::syn_ack(advertised_));
        service();
    }

    void try_write() {
        if (writing_ || phase_ != Phase::open) return;
        error_code ec;
        while (!wbuf_.empty()) {
            // Gather up to 16 chunks into one writev().
            std::array<asio::const_buffer, 16> bufs;
            const std::size_t count = std::min(bufs.size(), wbuf_.chunk_count());
            for (std::size_t i = 0; i < count; ++i) {
                const auto c = wbuf_.chunk(i);
                bufs[i] = asio::const_buffer(c.data(), c.size());
            }
            const std::size_t n =
                sock_.write_some(std::span<const asio::const_buffer>(bufs.data(), count), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) {
                writing_ = true;
                sock_.async_wait(tcp::socket::wait_write,
                                 [self = shared_from_this()](const error_code& wec) {
                                     std::lock_guard lk(self->sched_.mutex());
                                     self->writing_ = false;
                                     if (!wec) {
                                         self->try_write();
                                     } else if (wec != asio::error::operation_aborted) {
                                         self->os_failed(wec);
                                     }
                                     self->sched_.run_due();
                                 });
                break;
            }
            if (ec) {
                os_failed(ec);
                return;
            }
            wbuf_.drop(n);
            written_ += n;
        }
        update_window();
        if (wbuf_.empty() && device_fin_ && !os_shut_) {
            sock_.shutdown(tcp::socket::shutdown_send, ec);
            os_shut_ = true;
            maybe_finish();
        }
    }

    void update_window() {
        const std::uint64_t edge = written_ + kWindow;
        if (edge >= advertised_ + kWindow / 4) {
            conn_->send(side_, Segment::ack(edge));
            advertised_ = edge;
        }
    }

    // Reads are pulled, not pushed: whoever holds the core lock reads the OS
    // socket without blocking when the device's window has room. In a fast
    // download that is the device thread itself, inside recv(), with no
    // thread switch; the io thread only waits for the socket to be readable.
    void service() {
        while (phase_ == Phase::open) {
            const bool drained = pull();
            deliver();
            if (phase_ != Phase::open || os_eof_) return;
            if (drained) {
                // Nothing more from the OS for now. Ask for a wake-up only if the
                // device could take bytes we do not have; otherwise its next
                // window update brings us back here.
                if (pending_.empty() && delivered_ < device_edge_) wait_readable();
                return;
            }
            if (delivered_ >= device_edge_) return;  // read ahead is full, device window too
        }
    }

    // Read what the OS has, up to the read-ahead limit. Returns true when the
    // socket had nothing more (or failed), false when the limit stopped it.
    bool pull() {
        error_code ec;
        while (!os_eof_ && pending_.size() < kReadAhead) {
            // Read straight into the buffer that becomes the DATA segment.
            if (spare_.size() != kReadChunk) spare_ = Bytes::uninitialized(kReadChunk);
            const std::size_t n = sock_.read_some(asio::buffer(spare_.data(), spare_.size()), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
            if (n > 0) {
                spare_.shrink(n);
                pending_.append(std::move(spare_));
            }
            if (ec == asio::error::eof) {
                os_eof_ = true;
            } else if (ec) {
                os_failed(ec);
                return true;
            }
        }
        return os_eof_;
    }

    void wait_readable() {
        if (waiting_readable_) return;
        waiting_readable_ = true;
        sock_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
            std::lock_guard lk(self->sched_.mutex());
            self->waiting_readable_ = false;
            if (!ec) self->service();
            self->sched_.run_due();
        });
    }

    // Hand the device what its window allows; FIN once everything is through.
    void deliver() {
        while (!pending_.empty() && delivered_ < device_edge_) {
            const auto room = static_cast<std::size_t>(device_edge_ - delivered_);
            Bytes chunk = pending_.take(room);
            delivered_ += chunk.size();
            conn_->send(side_, Segment::payload(std::move(chunk)));
        }
        if (os_eof_ && pending_.empty() && !fin_sent_) {
            fin_sent_ = true;
            conn_->send(side_, Segment::fin());
            maybe_finish();
        }
    }

    void os_failed(const error_code& ec) {
        trace("gateway_error", ec.message());
        conn_->send(side_, Segment::rst());
        finish(true);
    }

    void maybe_finish() {
        if (fin_sent_ && os_shut_ && wbuf_.empty()) finish(false);
    }

    // The OS side is over. Stay attached so the device's last ACKs land quietly;
    // the gateway forgets us when the device's pcb goes.
    void finish(bool reset) {
        phase_ = Phase::done;
        close_os(reset);
    }

    void close_os(bool reset) {
        error_code ec;
        if (reset && sock_.is_open()) sock_.set_option(asio::socket_base::linger(true, 0), ec);
        sock_.close(ec);
    }

    void trace(const char* what, const std::string& detail) {
        gw_.modem().trace_event(TraceEvent(sched_.now(), what)
                                    .num("conn", static_cast<std::int64_t>(conn_->id()))
                                    .str("peer", target_.to_string())
                                    .str("detail", detail));
    }

    HostGateway& gw_;
    Scheduler& sched_;
    tcp::socket sock_;
    std::shared_ptr<Connection> conn_;
    Side side_;
    Endpoint target_;
    Phase phase_ = Phase::idle;

    ByteQueue wbuf_;
    bool writing_ = false;
    std::uint64_t written_ = 0;
    std::uint64_t advertised_ = 0;
    bool device_fin_ = false;
    bool os_shut_ = false;

    Bytes spare_;        // a read buffer not yet filled
    ByteQueue pending_;  // read from the OS, not yet within the device's window
    bool fin_sent_ = false;
    bool waiting_readable_ = false;
    std::uint64_t delivered_ = 0;
    std::uint64_t device_edge_ = 0;
    bool os_eof_ = false;
};

// ---------------------------------------------------------------- UDP

class GatewayUdp final : public std::enable_shared_from_this<GatewayUdp> {
  public:
    // Like a carrier NAT with endpoint-dependent filtering: the mapping opens
    // on the first send, and a datagram passes back only from an endpoint the
    // device sent to; nothing else on the PC or beyond reaches a device UDP
    // port unasked. Host sockets are bound no wider than the traffic needs:
    // loopback targets go through a socket on the loopback address, others
    // through one on the wildcard address. A device UDP server (bound to a
    // port) is exposed on the loopback address, where anyone on the PC may
    // send to it, as device TCP servers are.
    GatewayUdp(HostGateway& gw, std::weak_ptr<Socket> device, bool v6)
        : gw_(gw), sched_(gw.modem().sched()), device_(std::move(device)), v6_(v6) {}

    // The PC port the device server is reachable at.
    std::uint16_t expose(const IpAddress& ip, std::uint16_t port) {
        if (!loop_) {
            loop_ = open(ip, port, true);
            if (!loop_) loop_ = open(ip, 0, true);
            if (!loop_) throw Error(errc::addr_in_use, "cannot expose device UDP port on the PC");
        }
        error_code ec;
        return loop_->sock.local_endpoint(ec).port();
    }

    void send(const Endpoint& shown, const Endpoint& to, const std::string& data) {
        if (!(shown == to)) shown_[to.to_string()] = shown;
        allowed_.insert(to.to_string());
        Port* p = port_for(to);
        if (!p) return;  // no host socket: the datagram is lost, as UDP allows
        error_code ec;
        p->sock.send_to(asio::buffer(data), udp::endpoint(to.ip, to.port), 0, ec);
        // UDP gives no delivery promise; an OS error is a lost datagram.
    }

    void close() {
        for (Port* p : {loop_.get(), wide_.get()}) {
            error_code ec;
            if (p) p->sock.close(ec);
        }
    }

  private:
    struct Port {
        explicit Port(asio::io_context& io) : sock(io) {}
        udp::socket sock;
        std::array<char, 65536> buf{};
        udp::endpoint from;
        bool open_to_all = false;  // a device server's port
    };

    std::unique_ptr<Port> open(const IpAddress& ip, std::uint16_t port, bool open_to_all) {
        auto p = std::make_unique<Port>(sched_.io());
        error_code ec;
        p->sock.open(ip.is_v6() ? udp::v6() : udp::v4(), ec);
        if (!ec) p->sock.bind(udp::endpoint(ip, port), ec);
        if (!ec) p->sock.non_blocking(true, ec);
        if (ec) return nullptr;
        p->open_to_all = open_to_all;
        receive_next(p.get());
        return p;
    }

    Port* port_for(const Endpoint& to) {
        const bool loopback = to.ip.is_loopback();
        std::unique_ptr<Port>& slot = loopback ? loop_ : wide_;
        if (!slot) {
            const IpAddress ip = loopback
                                     ? (to.ip.is_v6() ? IpAddress(asio::ip::address_v6::loopback())
                                                      : IpAddress(asio::ip::address_v4::loopback()))
                                     : (v6_ ? IpAddress(asio::ip::address_v6::any())
                                            : IpAddress(asio::ip::address_v4::any()));
            slot = open(ip, 0, false);
        }
        return slot.get();
    }

    void receive_next(Port* p) {
        p->sock.async_receive_from(
            asio::buffer(p->buf), p->from,
            [self = shared_from_this(), p](const error_code& ec, std::size_t n) {
                std::lock_guard lk(self->sched_.mutex());
                self->received(p, ec, n);
                self->sched_.run_due();
            });
    }

    void received(Port* p, const error_code& ec, std::size_t n) {
        if (ec == asio::error::operation_aborted || !p->sock.is_open()) return;
        if (!ec) {
            Endpoint from{p->from.address(), p->from.port()};
            const std::string key = from.to_string();
            if (p->open_to_all || allowed_.count(key)) {
                if (const auto it = shown_.find(key); it != shown_.end()) from = it->second;
                gw_.modem().datagram_from_host(device_, std::string(p->buf.data(), n), from);
            } else {
                gw_.modem().datagram_filtered(device_, from, n);
            }
        }
        receive_next(p);
    }

    HostGateway& gw_;
    Scheduler& sched_;
    std::weak_ptr<Socket> device_;
    bool v6_;
    std::unique_ptr<Port> loop_;     // on the loopback address: loopback peers, or the server port
    std::unique_ptr<Port> wide_;     // on the wildcard address: everything else
    std::set<std::string> allowed_;  // endpoints the device sent to
    std::map<std::string, Endpoint> shown_;  // a forward's target -> what the device sent to
};

// ---------------------------------------------------------------- the gateway

struct HostGateway::Exposure {
    explicit Exposure(asio::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    std::weak_ptr<Socket> listener;
    std::uint16_t device_port = 0;
    std::uint16_t host_port = 0;
    bool closed = false;
};

HostGateway::HostGateway(Modem& modem, IpAddress expose_ip)
    : modem_(modem), expose_ip_(expose_ip) {}

HostGateway::~HostGateway() {
    shutdown();
}

std::shared_ptr<SegmentSink> HostGateway::connect(const std::shared_ptr<Connection>& conn,
                                                  const Endpoint& target) {
    auto g = std::make_shared<GatewayTcp>(*this, tcp::socket(modem_.sched().io()), conn, Side::b,
                                          target);
    tcp_.insert(g);
    return g;
}

void HostGateway::forget(const GatewayTcp* conn) {
    for (auto it = tcp_.begin(); it != tcp_.end(); ++it) {
        if (it->get() == conn) {
            tcp_.erase(it);
            return;
        }
    }
}

std::uint16_t HostGateway::expose(const std::shared_ptr<Socket>& listener,
                                  std::uint16_t device_port) {
    auto ex = std::make_shared<Exposure>(modem_.sched().io());
    ex->listener = listener;
    ex->device_port = device_port;
    const IpAddress ip =
        listener->is_v6() ? IpAddress(asio::ip::address_v6::loopback()) : expose_ip_;
    error_code ec;
    ex->acceptor.open(tcp::endpoint(ip, 0).protocol(), ec);
    if (!ec) ex->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) {
        // The device's own port when the PC has it free, any port otherwise.
        ex->acceptor.bind(tcp::endpoint(ip, device_port), ec);
        if (ec) {
            ec.clear();
            ex->acceptor.bind(tcp::endpoint(ip, 0), ec);
        }
    }
    if (!ec) ex->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw Error(errc::addr_in_use, "cannot expose device port on the PC: " + ec.message());
    ex->host_port = ex->acceptor.local_endpoint(ec).port();
    exposures_[listener.get()] = ex;
    accept_next(ex);
    return ex->host_port;
}

void HostGateway::accept_next(const std::shared_ptr<Exposure>& ex) {
    ex->acceptor.async_accept([this, ex](const error_code& ec, tcp::socket sock) {
        std::lock_guard lk(modem_.sched().mutex());
        if (ex->closed || ec == asio::error::operation_aborted) return;
        auto listener = ex->listener.lock();
        if (!listener || listener->closed()) return;
        if (!ec) {
            error_code rec;
            const tcp::endpoint client = sock.remote_endpoint(rec);
            if (!rec) {
                auto conn = modem_.make_connection(Side::b);
                const Endpoint from{client.address(), client.port()};
                const auto dev_ip = modem_.device_ip(listener->is_v6());
                conn->set_endpoint(Side::a, from);
                conn->set_endpoint(
                    Side::b, Endpoint{dev_ip.value_or(client.address()), listener->local_port()});
                auto g = std::make_shared<GatewayTcp>(*this, std::move(sock), conn, Side::a, from);
                tcp_.insert(g);
                conn->attach(Side::a, g);
                conn->attach(Side::b, listener);
                g->start_inbound();
            }
        }
        accept_next(ex);
        modem_.sched().run_due();
    });
}

void HostGateway::unexpose(const Socket* listener) {
    const auto it = exposures_.find(listener);
    if (it == exposures_.end()) return;
    it->second->closed = true;
    error_code ec;
    it->second->acceptor.close(ec);
    exposures_.erase(it);
}

std::uint16_t HostGateway::exposed_port(std::uint16_t device_port) const {
    for (const auto& [raw, ex] : exposures_) {
        if (ex->device_port == device_port && !ex->closed) return ex->host_port;
    }
    return 0;
}

GatewayUdp& HostGateway::udp_for(const std::shared_ptr<Socket>& device_socket) {
    auto it = udp_.find(device_socket.get());
    if (it == udp_.end()) {
        auto g = std::make_shared<GatewayUdp>(*this, device_socket, device_socket->is_v6());
        it = udp_.emplace(device_socket.get(), std::move(g)).first;
    }
    return *it->second;
}

void HostGateway::send_datagram(const std::shared_ptr<Socket>& from, const Endpoint& shown,
                                const Endpoint& target, const std::string& data) {
    udp_for(from).send(shown, target, data);
}

std::uint16_t HostGateway::expose_udp(const std::shared_ptr<Socket>& device_socket,
                                      std::uint16_t device_port) {
    const IpAddress ip =
        device_socket->is_v6() ? IpAddress(asio::ip::address_v6::loopback()) : expose_ip_;
    const std::uint16_t host_port = udp_for(device_socket).expose(ip, device_port);
    udp_exposed_[device_socket.get()] = {device_port, host_port};
    return host_port;
}

std::uint16_t HostGateway::exposed_udp_port(std::uint16_t device_port) const {
    for (const auto& [raw, ports] : udp_exposed_) {
        if (ports.first == device_port) return ports.second;
    }
    return 0;
}

void HostGateway::close_udp(const Socket* device_socket) {
    udp_exposed_.erase(device_socket);
    const auto it = udp_.find(device_socket);
    if (it == udp_.end()) return;
    it->second->close();
    udp_.erase(it);
}

void HostGateway::shutdown() {
    for (auto& [raw, ex] : exposures_) {
        ex->closed = true;
        error_code ec;
        ex->acceptor.close(ec);
    }
    exposures_.clear();
    for (auto& [raw, u] : udp_)
        u->close();
    udp_.clear();
    udp_exposed_.clear();
    auto conns = std::move(tcp_);
    for (auto& c : conns)
        c->shutdown();
}

}  // namespace qpysim
