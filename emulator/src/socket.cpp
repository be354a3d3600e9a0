#include "qpysim/socket.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "qpysim/modem.hpp"

namespace qpysim {

namespace {

// Largest DATA segment handed to the link in one piece.
constexpr std::size_t kMaxSegment = 64 * 1024;
// lwIP's receive-window update threshold: min(TCP_WND/4, 4*MSS).
constexpr std::size_t kMss = 1460;
// lwIP DEFAULT_UDP_RECVMBOX_SIZE-like bound on queued datagrams.
constexpr std::size_t kMaxDatagrams = 16;
// lwIP 2.1 defaults: a SYN is retransmitted every 3 s (the RTO does not back
// off in SYN-SENT) and the pcb is dropped at the first 500 ms slow-timer tick
// after TCP_SYNMAXRTX (6) retransmissions: 18.5 s in all.
constexpr Duration kSynRto = 3s;
constexpr int kSynMaxRetries = 6;
constexpr Duration kSlowTick = 500ms;
// QuecPython's TCP_KEEPALIVE: TCP_KEEPINTVL 25 s and TCP_KEEPCNT 3.
constexpr Duration kKeepaliveInterval = 25s;
constexpr int kKeepaliveProbes = 3;
// QuecPython connect(): 1 <= timeout < 25 s waits with select().
constexpr Duration kSelectWindowMin = 1s;
constexpr Duration kSelectWindowMax = 25s;
// Largest UDP payload over IPv4.
constexpr std::size_t kMaxDatagram = 65507;

}  // namespace

Socket::Socket(Modem& modem, SockType type, bool v6, int proto, int fd)
    : modem_(modem),
      sched_(modem.sched()),
      id_(modem.next_socket_id()),
      type_(type),
      v6_(v6),
      proto_(proto),
      fd_(fd),
      rcvbuf_(modem.rcvbuf_limit()),
      sndbuf_(modem.sndbuf_limit()) {
    advertised_edge_ = right_edge();
    tcp_.set_observer([this](TcpState from, TcpState to) { trace_state(from, to); });
}

// Pending timers hold only weak references, so nothing needs the lock here
// (the last reference may drop anywhere, with or without it).
Socket::~Socket() = default;

CoreLock Socket::lock() const {
    return CoreLock(sched_);
}

void Socket::fail(errc e) const {
    throw Error(e);
}

void Socket::throw_error(errc e) const {
    if (e != errc::ok) fail(e);
}

void Socket::check_open() const {
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    if (closed_) fail(errc::bad_fd);
}

void Socket::check_port(int port) const {
    if (port < 0 || port > 65535) {
        throw UsageError("port must be 0..65535, got " + std::to_string(port));
    }
}

void Socket::wake() {
    sched_.notify(waiters_);
    if (!modem_.pollers().empty()) sched_.notify(modem_.pollers());
}

std::optional<DeviceTime> Socket::io_deadline(errc& on_expiry) const {
    on_expiry = errc::timed_out;
    if (!timeout_) return std::nullopt;
    const Duration poll = modem_.dialect().recv_poll;
    if (poll.count() > 0) {
        // QuecPython counts the timeout in 100 ms polls of lwIP's SO_RCVTIMEO;
        // with no whole poll left it reports EWOULDBLOCK, not ETIMEDOUT.
        const auto polls = *timeout_ / poll;
        if (polls == 0) {
            on_expiry = errc::would_block;
            return sched_.now() + poll;
        }
        return sched_.now() + polls * poll;
    }
    return sched_.now() + *timeout_;
}

Endpoint Socket::resolve_one(Lock& lk, const std::string& host, int port) {
    check_port(port);
    const std::string name = host.empty() ? std::string(v6_ ? "::" : "0.0.0.0") : host;
    auto ips = modem_.resolve(lk, name);
    // Prefer the socket's own family, as lwIP's getaddrinfo with the socket's hints would.
    auto it = std::find_if(ips.begin(), ips.end(),
                           [this](const IpAddress& a) { return a.is_v6() == v6_; });
    if (it == ips.end()) fail(errc::dns_fail);
    return Endpoint{*it, static_cast<std::uint16_t>(port)};
}

void Socket::ensure_local(bool /*for_stream*/) {
    if (!local_) {
        local_ = Endpoint{v6_ ? IpAddress(boost::asio::ip::address_v6::any())
                              : IpAddress(boost::asio::ip::address_v4::any()),
                          0};
    }
    if (local_->ip.is_unspecified()) {
        if (auto ip = modem_.device_ip(v6_)) local_->ip = *ip;
    }
    if (local_->port == 0) local_->port = modem_.ephemeral_port(type_);
}

// ---------------------------------------------------------------- bind/listen/accept

void Socket::bind(const std::string& host, int port) {
    auto lk = lock();
    check_open();
    check_port(port);
    if (local_ && local_->port != 0) fail(errc::invalid_argument);  // lwIP: already bound
    Endpoint at = resolve_one(lk, host, port);
    if (at.ip.is_unspecified()) {
        // QuecPython binds "" to the data call's address.
        if (auto ip = modem_.device_ip(v6_)) at.ip = *ip;
    }
    if (port != 0 && !reuseaddr_ && !host_side_ && modem_.port_in_use(type_, at.port, this)) {
        if (modem_.dialect().bind_reports_errors) fail(errc::addr_in_use);
        bind_failed_ = true;  // the 2025 firmware ignores lwip_bind()'s result
        return;
    }
    if (port == 0) at.port = modem_.ephemeral_port(type_);
    local_ = at;
    modem_.trace_event(TraceEvent(sched_.now(), "bind")
                           .num("sock", static_cast<std::int64_t>(id_))
                           .str("addr", at.to_string()));
    if (type_ == SockType::dgram) modem_.udp_bound(shared_from_this(), port != 0);
}

void Socket::listen(int backlog) {
    auto lk = lock();
    check_open();
    if (type_ != SockType::stream) fail(errc::not_supported);
    if (tcp_.is_listening()) {
        backlog_ = std::max(1, backlog);
        return;
    }
    if (tcp_.is_open() || ever_connected_ || conn_) fail(errc::invalid_argument);
    if (bind_failed_) fail(errc::addr_in_use);
    ensure_local(true);
    // Two listeners on one port: lwIP refuses the second (ERR_USE), with
    // SO_REUSEADDR too (tcp.c tcp_listen_with_backlog_and_err: SO_REUSE checks
    // tcp_listen_pcbs), as Linux does for the unix port.
    if (!host_side_ && (reuseaddr_ ? modem_.port_listened(local_->port, this)
                                   : modem_.port_in_use(type_, local_->port, this))) {
        fail(errc::addr_in_use);
    }
    backlog_ = std::max(1, backlog);  // lwIP treats a backlog of 0 as 1
    apply(tcp_.step(TcpEvent::PassiveOpen, sched_.now()));
    try {
        modem_.listening(shared_from_this());
    } catch (...) {
        apply(tcp_.step(TcpEvent::Close, sched_.now()));
        throw;
    }
    if (!host_side_) modem_.device_event("listen");
}

Socket::Accepted Socket::accept() {
    auto lk = lock();
    check_open();
    if (!tcp_.is_listening()) fail(errc::invalid_argument);
    if (accept_q_.empty()) {
        if (nonblocking()) fail(errc::would_block);
        errc on_expiry;
        const auto deadline = io_deadline(on_expiry);
        const bool ok = sched_.wait_until(
            lk, waiters_, deadline, [&] { return closed_ || !accept_q_.empty(); }, true);
        if (closed_) fail(errc::bad_fd);
        if (!ok) fail(on_expiry);
    }
    auto child = accept_q_.front();
    accept_q_.pop_front();
    child->listener_.reset();
    try {
        if (!host_side_)
            child->fd_ = modem_.allocate_fd(child);  // a peer's socket is not the module's
    } catch (const Error&) {
        // lwIP: no socket for the new connection, so it is aborted.
        child->apply(child->tcp_.step(TcpEvent::Abort, sched_.now()));
        throw;
    }
    modem_.trace_event(TraceEvent(sched_.now(), "accept")
                           .num("sock", static_cast<std::int64_t>(id_))
                           .num("child", static_cast<std::int64_t>(child->id_))
                           .num("fd", child->fd_)
                           .str("peer", child->remote_ ? child->remote_->to_string() : ""));
    return Accepted{child, child->remote_.value_or(Endpoint{})};
}

void Socket::accept_syn(const std::shared_ptr<Connection>& via, const Segment& syn) {
    if (half_open_.size() + accept_q_.size() >= static_cast<std::size_t>(backlog_)) {
        // Backlog full: refuse at once so the client sees it (lwIP would drop
        // the SYN and let the client retry into the same full queue).
        via->send(Side::b, Segment::rst());
        modem_.trace_event(TraceEvent(sched_.now(), "backlog_full")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .str("peer", via->endpoint(Side::a).to_string()));
        return;
    }
    auto child = std::make_shared<Socket>(modem_, SockType::stream, v6_, proto_, -1);
    child->local_ = via->endpoint(Side::b);
    child->remote_ = via->endpoint(Side::a);
    child->conn_ = via;
    child->side_ = Side::b;
    child->listener_ = weak_from_this();
    child->host_side_ = host_side_;
    child->peer_edge_ = syn.window;
    child->keepalive_minutes_ = keepalive_minutes_;  // lwIP copies so_options to the child
    if (!host_side_) via->set_device_socket(child->id_);
    via->attach(Side::b, child);
    half_open_.push_back(child);
    child->apply(child->tcp_.step(TcpEvent::ChildOpen, sched_.now()));
}

void Socket::on_child_established(const std::shared_ptr<Socket>& child) {
    const auto it = std::find(half_open_.begin(), half_open_.end(), child);
    if (it == half_open_.end()) return;
    half_open_.erase(it);
    accept_q_.push_back(child);
    wake();
}

void Socket::on_child_gone(Socket* child) {
    const auto pred = [child](const std::shared_ptr<Socket>& s) { return s.get() == child; };
    half_open_.erase(std::remove_if(half_open_.begin(), half_open_.end(), pred), half_open_.end());
}

void Socket::abort_pending_children() {
    auto pending = std::move(half_open_);
    for (auto& c : accept_q_)
        pending.push_back(c);
    accept_q_.clear();
    for (auto& c : pending) {
        c->listener_.reset();
        c->apply(c->tcp_.step(TcpEvent::Abort, sched_.now()));
    }
}

// ---------------------------------------------------------------- connect

void Socket::connect(const std::string& host, int port) {
    auto lk = lock();
    check_open();
    if (type_ == SockType::raw) fail(errc::not_supported);
    Endpoint remote = resolve_one(lk, host, port);  // may wait for DNS
    check_open();
    if (type_ == SockType::dgram) {
        remote_ = remote;
        ensure_local(false);
        modem_.udp_bound(shared_from_this());
        return;
    }
    throw_error(error_);
    if (tcp_.is_listening()) fail(errc::invalid_argument);
    if (tcp_.is_connecting()) fail(errc::already);
    if (tcp_.is_open() || ever_connected_) fail(modem_.dialect().connect_when_connected);
    if (remote.ip.is_v6() != v6_) fail(errc::invalid_argument);

    start_connect(lk, remote);

    if (nonblocking()) fail(errc::in_progress);
    std::optional<DeviceTime> deadline;
    if (timeout_) {
        if (modem_.dialect().connect_select_window) {
            // The firmware keeps the timeout in whole seconds for this choice.
            const auto whole = std::chrono::floor<std::chrono::seconds>(*timeout_);
            const bool inside = modem_.dialect().select_window_inclusive ? whole <= kSelectWindowMax
                                                                         : whole < kSelectWindowMax;
            if (whole >= kSelectWindowMin && inside) {
                deadline = sched_.now() + *timeout_;
            }
        } else {
            deadline = sched_.now() + *timeout_;
        }
    }
    const bool done = sched_.wait_until(
        lk, waiters_, deadline, [&] { return closed_ || !tcp_.is_connecting(); }, true);
    if (closed_) fail(errc::bad_fd);
    if (ever_connected_) return;
    throw_error(error_);
    if (!done) fail(errc::timed_out);  // the SYN keeps going, as after a select() timeout
    fail(errc::conn_aborted);
}

void Socket::start_connect(Lock& /*lk*/, const Endpoint& remote) {
    ensure_local(true);
    if (!host_side_ && !modem_.cellular().data_ready()) fail(errc::host_unreachable);
    conn_ = modem_.open_connection(shared_from_this(), *local_, remote);
    side_ = Side::a;
    if (!host_side_) conn_->set_device_socket(id_);
    remote_ = remote;
    modem_.trace_event(TraceEvent(sched_.now(), "connect")
                           .num("sock", static_cast<std::int64_t>(id_))
                           .str("local", local_->to_string())
                           .str("remote", remote.to_string()));
    apply(tcp_.step(TcpEvent::ActiveOpen, sched_.now()));
    syn_retries_ = 0;
    if (!host_side_) modem_.device_event("connect");
    arm_syn_timer(sched_.now() + kSynRto);
}

void Socket::arm_syn_timer(DeviceTime at) {
    if (syn_timer_) sched_.cancel(syn_timer_);
    syn_timer_ = sched_.call_at(at, [w = weak_from_this()] {
        if (auto s = w.lock()) s->syn_timer_fired();
    });
}

void Socket::syn_timer_fired() {
    syn_timer_ = 0;
    if (tcp_.state() != TcpState::SynSent || !conn_) return;
    if (syn_retries_ < kSynMaxRetries) {
        ++syn_retries_;
        conn_->send(side_, Segment::syn(right_edge()));
        modem_.trace_event(TraceEvent(sched_.now(), "syn_retransmit")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .num("try", syn_retries_));
        arm_syn_timer(sched_.now() + (syn_retries_ == kSynMaxRetries ? kSlowTick : kSynRto));
        return;
    }
    apply(tcp_.step(TcpEvent::GiveUp, sched_.now()));
}

// ---------------------------------------------------------------- sending

std::size_t Socket::queue_bytes(Lock& lk, std::string_view data, bool& partial) {
    partial = false;
    // Wait out a connect in progress (lwIP netconn_write blocks in SYN-SENT too).
    if (!tcp_.may_send()) {
        throw_error(error_);
        if (!tcp_.is_connecting()) fail(errc::not_connected);
        if (nonblocking()) fail(errc::would_block);
        errc on_expiry;
        const auto deadline = io_deadline(on_expiry);
        const bool ok = sched_.wait_until(
            lk, waiters_, deadline,
            [&] { return closed_ || error_ != errc::ok || !tcp_.is_connecting(); }, true);
        if (closed_) fail(errc::bad_fd);
        throw_error(error_);
        if (!ok) fail(on_expiry);
        if (!tcp_.may_send()) fail(errc::not_connected);
    }
    if (data.empty()) return 0;

    std::size_t queued = 0;
    struct TraceSent {
        Socket& s;
        const std::size_t& n;
        ~TraceSent() {
            if (n > 0 && s.modem_.tracing()) {
                s.modem_.trace_event(TraceEvent(s.sched_.now(), "send")
                                         .num("sock", static_cast<std::int64_t>(s.id_))
                                         .num("bytes", static_cast<std::int64_t>(n)));
            }
        }
    } trace_sent{*this, queued};
    errc on_expiry = errc::timed_out;
    const auto deadline = nonblocking() ? std::nullopt : io_deadline(on_expiry);
    while (queued < data.size()) {
        const std::size_t room = sndbuf_ > tx_.size() ? sndbuf_ - tx_.size() : 0;
        if (room > 0) {
            const std::size_t n = std::min(room, data.size() - queued);
            tx_.append(data.substr(queued, n));
            queued += n;
            pump();
            continue;
        }
        if (nonblocking()) {
            if (queued == 0) fail(errc::would_block);
            partial = true;
            break;
        }
        const bool ok = sched_.wait_until(
            lk, waiters_, deadline,
            [&] {
                return closed_ || error_ != errc::ok || !tcp_.may_send() || tx_.size() < sndbuf_;
            },
            true);
        if (closed_) fail(errc::bad_fd);
        throw_error(error_);
        if (!tcp_.may_send()) fail(errc::not_connected);
        if (!ok) {
            if (queued == 0) fail(on_expiry);
            partial = true;
            break;
        }
    }
    return queued;
}

std::size_t Socket::send(std::string_view data) {
    auto lk = lock();
    check_open();
    if (type_ == SockType::raw) fail(errc::not_supported);
    if (type_ == SockType::dgram) {
        if (!remote_) fail(errc::not_connected);
        if (data.size() > kMaxDatagram) fail(errc::no_buffers);
        if (!modem_.cellular().data_ready()) fail(errc::host_unreachable);
        ensure_local(false);
        modem_.udp_bound(shared_from_this());
        modem_.send_datagram(shared_from_this(), *local_, *remote_, std::string(data));
        return data.size();
    }
    bool partial = false;
    return queue_bytes(lk, data, partial);
}

std::size_t Socket::send_all(std::string_view data, bool raise_on_partial_timeout) {
    auto lk = lock();
    check_open();
    if (type_ != SockType::stream) {
        lk.unlock();
        return send(data);
    }
    bool partial = false;
    const std::size_t n = queue_bytes(lk, data, partial);
    if (partial && raise_on_partial_timeout && !nonblocking()) fail(errc::timed_out);
    return n;
}

std::size_t Socket::sendto(std::string_view data, const std::string& ip, int port) {
    {
        auto lk = lock();
        check_open();
        if (type_ == SockType::raw) fail(errc::not_supported);
    }
    if (type_ == SockType::stream) return send(data);  // lwIP ignores the address on TCP
    check_port(port);
    const auto addr = parse_ip(ip);
    if (!addr) throw UsageError("invalid arguments: sendto() needs a numeric IP address");
    auto lk = lock();
    check_open();
    if (addr->is_v6() != v6_) fail(errc::invalid_argument);
    if (data.size() > kMaxDatagram) fail(errc::no_buffers);
    if (!modem_.cellular().data_ready()) fail(errc::host_unreachable);
    ensure_local(false);
    modem_.udp_bound(shared_from_this());  // an implicitly bound UDP socket receives replies
    modem_.send_datagram(shared_from_this(), *local_,
                         Endpoint{*addr, static_cast<std::uint16_t>(port)}, std::string(data));
    return data.size();
}

void Socket::pump() {
    if (!conn_ || type_ != SockType::stream) return;
    bool moved = false;
    while (!tx_.empty() && sent_total_ < peer_edge_) {
        const auto window = static_cast<std::size_t>(peer_edge_ - sent_total_);
        const std::size_t n = std::min({tx_.size(), window, kMaxSegment});
        conn_->send(side_, Segment::payload(tx_.take(n)));
        sent_total_ += n;
        moved = true;
    }
    if (tx_.empty() && fin_pending_) {
        fin_pending_ = false;
        conn_->send(side_, Segment::fin());
    }
    if (moved) wake();
}

// ---------------------------------------------------------------- receiving

std::uint64_t Socket::bytes_read() const {
    auto lk = lock();
    return consumed_total_;
}

Bytes Socket::take_rx(std::size_t n) {
    Bytes out = rx_.take(n);
    consumed_total_ += out.size();
    if (modem_.tracing()) {
        modem_.trace_event(TraceEvent(sched_.now(), "recv")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .num("bytes", static_cast<std::int64_t>(out.size())));
    }
    send_window_update(false);
    return out;
}

void Socket::send_window_update(bool force) {
    if (!conn_ || !tcp_.is_synchronized()) return;
    const std::uint64_t edge = right_edge();
    const std::uint64_t threshold = std::min<std::uint64_t>(rcvbuf_ / 4, 4 * kMss);
    if (force || edge >= advertised_edge_ + threshold) {
        conn_->send(side_, Segment::ack(edge));
        advertised_edge_ = edge;
    }
}

bool Socket::wait_readable(Lock& lk) {
    const auto readable = [&] {
        return closed_ || !rx_.empty() || eof_ || error_ != errc::ok ||
               (!tcp_.is_connecting() && !tcp_.may_recv());
    };
    if (!ever_connected_ && !tcp_.is_connecting() && error_ == errc::ok) {
        fail(errc::not_connected);
    }
    if (readable()) return true;
    if (nonblocking()) {
        if (tcp_.is_connecting() && modem_.dialect().recv_connecting_in_progress) {
            fail(errc::in_progress);
        }
        fail(errc::would_block);
    }
    errc on_expiry;
    const auto deadline = io_deadline(on_expiry);
    if (!sched_.wait_until(lk, waiters_, deadline, readable, true)) fail(on_expiry);
    return true;
}

Bytes Socket::recv_locked(Lock& lk, std::size_t max, bool peek) {
    if (type_ == SockType::raw) fail(errc::not_supported);
    if (type_ == SockType::dgram) {
        Endpoint from;
        return recv_dgram(lk, max, from, peek);
    }
    if (tcp_.is_listening()) fail(errc::not_connected);
    if (max == 0) return {};
    wait_readable(lk);
    if (closed_) fail(errc::bad_fd);
    if (!rx_.empty()) return peek ? rx_.peek(max) : take_rx(max);
    if (error_ == errc::conn_reset && modem_.dialect().reset_read_once) {
        if (!reset_reported_) {
            reset_reported_ = true;
            fail(errc::conn_reset);
        }
        return {};  // reported: from then on the end of the stream
    }
    throw_error(error_);
    if (eof_ && !fin_reported_ && modem_.dialect().fin_read_enotconn) {
        // The read that meets the FIN: lwIP returns 0 with ENOTCONN, which
        // QuecPython raises; from then on the socket is PEER_CLOSED.
        fin_reported_ = true;
        fail(errc::not_connected);
    }
    // End of stream: b'' now and on every later call, at once (a loop that
    // keeps reading it pays for each call: Modem::charge_call).
    return {};
}

Bytes Socket::recv(std::size_t max) {
    return recv(max, false, false);
}

namespace {

// MSG_DONTWAIT: one call is non-blocking, whatever settimeout() said.
class NonBlockingCall {
  public:
    NonBlockingCall(std::optional<Duration>& timeout, bool on)
        : timeout_(timeout), saved_(timeout) {
        if (on) timeout_ = Duration{0};
    }
    ~NonBlockingCall() { timeout_ = saved_; }
    NonBlockingCall(const NonBlockingCall&) = delete;
    NonBlockingCall& operator=(const NonBlockingCall&) = delete;

  private:
    std::optional<Duration>& timeout_;
    std::optional<Duration> saved_;
};

}  // namespace

Bytes Socket::recv(std::size_t max, bool peek, bool dont_wait) {
    auto lk = lock();
    check_open();
    NonBlockingCall once(timeout_, dont_wait);
    return recv_locked(lk, max, peek);
}

Bytes Socket::recv_dgram(Lock& lk, std::size_t max, Endpoint& from, bool peek) {
    if (dgrams_.empty()) {
        if (nonblocking()) fail(errc::would_block);
        errc on_expiry;
        const auto deadline = io_deadline(on_expiry);
        if (!sched_.wait_until(
                lk, waiters_, deadline, [&] { return closed_ || !dgrams_.empty(); }, true)) {
            fail(on_expiry);
        }
        if (closed_) fail(errc::bad_fd);
    }
    if (peek) {
        from = dgrams_.front().from;
        return Bytes(std::string_view(dgrams_.front().data).substr(0, max));
    }
    Datagram d = std::move(dgrams_.front());
    dgrams_.pop_front();
    dgram_bytes_ -= d.data.size();
    from = d.from;
    if (modem_.tracing()) {
        modem_.trace_event(TraceEvent(sched_.now(), "udp_recv")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .str("from", d.from.to_string())
                               .num("bytes", static_cast<std::int64_t>(d.data.size())));
    }
    // The rest of a datagram that does not fit is lost, as in lwIP.
    return Bytes(std::string_view(d.data).substr(0, max));
}

Bytes Socket::recvfrom(std::size_t max, Endpoint& from) {
    return recvfrom(max, from, false, false);
}

Bytes Socket::recvfrom(std::size_t max, Endpoint& from, bool peek, bool dont_wait) {
    auto lk = lock();
    check_open();
    NonBlockingCall once(timeout_, dont_wait);
    if (type_ == SockType::dgram) return recv_dgram(lk, max, from, peek);
    Bytes out = recv_locked(lk, max, peek);
    from = remote_.value_or(Endpoint{});
    return out;
}

Bytes Socket::read(std::optional<std::size_t> max) {
    auto lk = lock();
    check_open();
    if (type_ != SockType::stream) return recv_locked(lk, max.value_or(rcvbuf_));
    // MicroPython stream read (py/stream.c mp_stream_rw, stream_read_generic):
    // no short reads; a would-block after some bytes returns them; any other
    // error (a timeout, the FIN's ENOTCONN) raises, and what was read is lost.
    ByteQueue out;
    for (;;) {
        const std::size_t want = max ? *max - out.size() : kMaxSegment;
        if (want == 0) break;
        try {
            Bytes chunk = recv_locked(lk, want);
            if (chunk.empty()) break;  // end of stream
            out.append(std::move(chunk));
        } catch (const Error& e) {
            if (out.empty() || e.code_value() != errc::would_block) throw;
            break;
        }
    }
    return out.take(out.size());
}

Bytes Socket::readline(std::size_t max) {
    auto lk = lock();
    check_open();
    ByteQueue out;
    for (;;) {
        const std::size_t room = max - out.size();
        if (room == 0) break;
        if (type_ == SockType::stream) {
            const std::size_t nl = rx_.find_newline();
            if (nl != std::string_view::npos && nl < room) {
                out.append(take_rx(nl + 1));
                break;
            }
            if (!rx_.empty()) {
                out.append(take_rx(std::min(rx_.size(), room)));
                continue;
            }
        }
        try {
            Bytes chunk = recv_locked(lk, type_ == SockType::stream ? 1 : std::min(rcvbuf_, room));
            if (chunk.empty()) break;
            const bool newline = chunk.view().back() == '\n';
            out.append(std::move(chunk));
            if (type_ != SockType::stream || newline) break;
        } catch (const Error& e) {
            // py/stream.c:382-397: a would-block ends the line early, any
            // other error raises (the bytes read so far are lost).
            if (out.empty() || e.code_value() != errc::would_block) throw;
            break;
        }
    }
    return out.take(out.size());
}

void Socket::on_datagram(std::string data, Endpoint from) {
    if (closed_) return;
    if (dgrams_.size() >= kMaxDatagrams || dgram_bytes_ + data.size() > rcvbuf_) {
        modem_.trace_event(TraceEvent(sched_.now(), "udp_drop")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .num("bytes", static_cast<std::int64_t>(data.size()))
                               .str("why", "receive queue full"));
        return;
    }
    dgram_bytes_ += data.size();
    dgrams_.push_back(Datagram{std::move(data), from});
    wake();
}

// ---------------------------------------------------------------- segments

void Socket::on_segment(const std::shared_ptr<Connection>& via, Segment s) {
    auto self = shared_from_this();  // a freed pcb may drop the last reference
    const DeviceTime now = sched_.now();
    if (s.kind == Segment::Kind::Syn && tcp_.is_listening()) {
        accept_syn(via, s);
        return;
    }
    if (via != conn_) return;  // a stale connection
    last_heard_ = now;
    probes_sent_ = 0;
    switch (s.kind) {
        case Segment::Kind::Syn:
            if (tcp_.state() == TcpState::SynSent) {
                peer_edge_ = s.window;
                apply(tcp_.step(TcpEvent::RecvSyn, now));
            } else if (tcp_.state() == TcpState::SynRcvd) {
                conn_->send(side_, Segment::syn_ack(right_edge()));  // our SYN-ACK was lost
            }
            break;
        case Segment::Kind::SynAck:
            peer_edge_ = std::max(peer_edge_, s.window);
            apply(tcp_.step(TcpEvent::RecvSynAck, now));
            pump();
            break;
        case Segment::Kind::Ack:
            peer_edge_ = std::max(peer_edge_, s.window);
            if (tcp_.state() == TcpState::SynRcvd || s.ack_fin) {
                apply(tcp_.step(TcpEvent::RecvAck, now));
            }
            pump();
            break;
        case Segment::Kind::Data:
            if (closed_) {
                // lwIP: data for a pcb the application closed is answered with RST.
                apply(tcp_.step(TcpEvent::Abort, now));
                return;
            }
            if (eof_) return;  // nothing may follow a FIN
            rx_.append(std::move(s.data));
            wake();
            break;
        case Segment::Kind::Fin:
            apply(tcp_.step(s.ack_fin ? TcpEvent::RecvFinAck : TcpEvent::RecvFin, now), true);
            break;
        case Segment::Kind::Rst:
            apply(tcp_.step(TcpEvent::RecvRst, now));
            break;
        case Segment::Kind::Probe:     // the Connection answers probes itself
        case Segment::Kind::ProbeAck:  // the peer is alive: last_heard_ says so
            break;
    }
}

void Socket::on_give_up() {
    // Retransmissions exhausted (lwIP tcp_slowtmr, TCP_MAXRTX): ERR_ABRT, no RST.
    auto self = shared_from_this();
    modem_.trace_event(TraceEvent(sched_.now(), "give_up")
                           .num("sock", static_cast<std::int64_t>(id_))
                           .str("why", "retransmissions exhausted"));
    apply(tcp_.step(TcpEvent::GiveUp, sched_.now()));
}

void Socket::arm_keepalive(DeviceTime at) {
    if (keepalive_timer_) sched_.cancel(keepalive_timer_);
    keepalive_timer_ = sched_.call_at(at, [w = weak_from_this()] {
        if (auto s = w.lock()) {
            s->keepalive_timer_ = 0;
            s->keepalive_fired();
        }
    });
}

void Socket::keepalive_fired() {
    if (!conn_ || keepalive_minutes_ == 0 || !tcp_.is_synchronized()) return;
    const DeviceTime now = sched_.now();
    const Duration idle = std::chrono::minutes(keepalive_minutes_);
    if (probes_sent_ == 0 && now < last_heard_ + idle) {
        arm_keepalive(last_heard_ + idle);  // the peer spoke since: wait again
        return;
    }
    if (probes_sent_ >= kKeepaliveProbes) {
        // lwIP: keepalive timeout removes the pcb with an RST (ERR_ABRT).
        modem_.trace_event(TraceEvent(now, "keepalive_timeout")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .num("probes", probes_sent_));
        conn_->send(side_, Segment::rst());
        apply(tcp_.step(TcpEvent::GiveUp, now));
        return;
    }
    ++probes_sent_;
    if (modem_.tracing()) {
        modem_.trace_event(TraceEvent(now, "keepalive_probe")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .num("probe", probes_sent_));
    }
    conn_->send(side_, Segment::probe());
    arm_keepalive(now + kKeepaliveInterval);
}

void Socket::on_peer_detached() {
    // The far end is gone; anything more we send is answered with RST by the
    // link, which is what a real peer with no pcb does.
}

void Socket::drop_silently(errc error) {
    auto self = shared_from_this();
    if (type_ == SockType::stream && tcp_.is_open() && !tcp_.is_listening()) {
        if (error_ == errc::ok) error_ = error;
        fin_pending_ = false;
        tx_.clear();
        if (conn_) {
            conn_->detach(side_);
            conn_.reset();
        }
        apply(tcp_.step(TcpEvent::GiveUp, sched_.now()));
    }
    wake();
}

void Socket::apply(const TcpActions& a, bool ack_fin) {
    auto self = shared_from_this();
    if (conn_) {
        if (a.send_syn) conn_->send(side_, Segment::syn(right_edge()));
        if (a.send_syn_ack) conn_->send(side_, Segment::syn_ack(right_edge()));
        if (a.send_ack) {
            conn_->send(side_, Segment::ack(right_edge(), ack_fin));
            advertised_edge_ = right_edge();
        }
    }
    if (a.send_fin) {
        fin_pending_ = true;
        pump();
    }
    if (a.send_rst && conn_) conn_->send(side_, Segment::rst());
    if (a.connected) {
        ever_connected_ = true;
        last_heard_ = sched_.now();
        if (keepalive_minutes_ > 0)
            arm_keepalive(last_heard_ + std::chrono::minutes(keepalive_minutes_));
        if (syn_timer_) {
            sched_.cancel(syn_timer_);
            syn_timer_ = 0;
        }
        if (auto l = listener_.lock()) l->on_child_established(self);
    }
    if (a.peer_eof) eof_ = true;
    if (a.error != errc::ok && error_ == errc::ok) {
        error_ = a.error;
        tx_.clear();  // lwIP drops unsent data with the pcb
        fin_pending_ = false;
    }
    if (a.freed) free_pcb();
    arm_tcp_timer();
    wake();
}

void Socket::arm_tcp_timer() {
    const auto deadline = tcp_.next_deadline();
    if (deadline == tcp_timer_at_) return;
    if (tcp_timer_) sched_.cancel(tcp_timer_);
    tcp_timer_ = 0;
    tcp_timer_at_ = deadline;
    if (!deadline) return;
    tcp_timer_ = sched_.call_at(*deadline, [w = weak_from_this()] {
        if (auto s = w.lock()) {
            s->tcp_timer_ = 0;
            s->tcp_timer_at_.reset();
            s->apply(s->tcp_.on_timer(s->sched_.now()));
        }
    });
}

void Socket::free_pcb() {
    if (syn_timer_) {
        sched_.cancel(syn_timer_);
        syn_timer_ = 0;
    }
    if (keepalive_timer_) {
        sched_.cancel(keepalive_timer_);
        keepalive_timer_ = 0;
    }
    if (conn_) {
        conn_->detach(side_);
        conn_.reset();
    }
    if (auto l = listener_.lock()) l->on_child_gone(this);
    modem_.unlinger(this);
}

// ---------------------------------------------------------------- close and state

void Socket::close() noexcept {
    try {
        auto lk = lock();
        if (closed_) return;
        auto self = shared_from_this();
        closed_ = true;
        const int fd = fd_;
        fd_ = -1;
        if (fd >= 0) modem_.release_fd(fd);
        // After a reboot (power loss) the stack is gone: no FIN, no RST, the
        // peer hears nothing from this boot (the gateway's PC side is reset
        // when the old module goes: no connection outlives it).
        if (type_ == SockType::stream && !modem_.lost_power()) {
            if (tcp_.is_listening()) {
                abort_pending_children();
                modem_.not_listening(this);
                apply(tcp_.step(TcpEvent::Close, sched_.now()));
            } else if (tcp_.is_open()) {
                // lwIP resets the connection when unread data would be
                // discarded, and so does SO_LINGER with a zero timeout.
                const bool unread = !rx_.empty() && tcp_.is_synchronized();
                const bool abort = unread || (linger_abort_ && tcp_.is_synchronized());
                apply(tcp_.step(abort ? TcpEvent::Abort : TcpEvent::Close, sched_.now()));
                if (tcp_.is_open()) modem_.linger(self);
            }
        }
        modem_.socket_closed(this);
        modem_.trace_event(TraceEvent(sched_.now(), "close")
                               .num("sock", static_cast<std::int64_t>(id_))
                               .num("fd", fd));
        wake();
    } catch (...) {
        // close() must not throw: it runs from destructors and __del__.
    }
}

std::optional<DeviceTime> Socket::time_wait_until() const noexcept {
    if (tcp_.state() != TcpState::TimeWait) return std::nullopt;
    return tcp_.next_deadline();
}

void Socket::recycle_time_wait() {
    if (tcp_.state() != TcpState::TimeWait) return;
    modem_.trace_event(
        TraceEvent(sched_.now(), "time_wait_recycled").num("sock", static_cast<std::int64_t>(id_)));
    apply(tcp_.step(TcpEvent::Abort, sched_.now()));  // no RST from TIME-WAIT
}

void Socket::settimeout(std::optional<Duration> timeout) {
    auto lk = lock();
    if (timeout && timeout->count() < 0) throw UsageError("timeout must be >= 0 or None");
    timeout_ = timeout;
}

std::optional<Duration> Socket::timeout() const {
    auto lk = lock();
    return timeout_;
}

void Socket::set_keepalive_minutes(int minutes) {
    auto lk = lock();
    check_open();
    if (minutes < 1 || minutes > 120) {
        throw UsageError("TCP_KEEPALIVE is in minutes, 1..120; got " + std::to_string(minutes));
    }
    if (type_ != SockType::stream) return;  // the firmware only applies it to SOCK_STREAM
    keepalive_minutes_ = minutes;
    if (tcp_.is_synchronized() && conn_) {
        probes_sent_ = 0;
        arm_keepalive(std::max(last_heard_, sched_.now()) + std::chrono::minutes(minutes));
    }
    modem_.trace_event(TraceEvent(sched_.now(), "keepalive")
                           .num("sock", static_cast<std::int64_t>(id_))
                           .num("idle_s", minutes * 60)
                           .num("intvl_s", 25)
                           .num("cnt", 3));
}

void Socket::set_linger_abort(bool on) {
    auto lk = lock();
    check_open();
    linger_abort_ = on;
}

void Socket::set_reuseaddr(bool on) {
    auto lk = lock();
    check_open();
    reuseaddr_ = on;
}

int Socket::tcp_state() const {
    auto lk = lock();
    if (closed_) return -1;
    if (type_ != SockType::stream) return 0;
    return tcp_.number();
}

int Socket::fileno() const {
    auto lk = lock();
    return fd_;
}

std::optional<Endpoint> Socket::local() const {
    auto lk = lock();
    return local_;
}

std::optional<Endpoint> Socket::remote() const {
    auto lk = lock();
    return remote_;
}

bool Socket::holds_port() const noexcept {
    if (!local_ || local_->port == 0) return false;
    if (type_ == SockType::stream) return !closed_ || tcp_.is_open();
    return !closed_;
}

int Socket::poll_events() const {
    if (closed_) return poll_nval;
    int ev = 0;
    if (type_ != SockType::stream) {
        if (!dgrams_.empty()) ev |= poll_in;
        return ev | poll_out;
    }
    if (tcp_.is_listening()) return accept_q_.empty() ? 0 : poll_in;
    if (reset_reported_) return poll_in | poll_hup;  // the error was read (17)
    if (error_ != errc::ok) return ev | poll_in | poll_err | poll_hup;
    if (!rx_.empty() || eof_) ev |= poll_in;
    if (eof_) ev |= poll_hup;
    if (tcp_.may_send() && tx_.size() < sndbuf_) ev |= poll_out;
    // A socket that never connected polls as writable and hung up (MicroPython: 20).
    if (!tcp_.is_open() && !ever_connected_) ev |= poll_out | poll_hup;
    return ev;
}

int Socket::wait_events(int mask, std::optional<DeviceTime> deadline) {
    auto lk = lock();
    const int always = poll_err | poll_hup | poll_nval;
    sched_.wait_until(
        lk, waiters_, deadline, [&] { return (poll_events() & (mask | always)) != 0; }, true);
    return poll_events();
}

void Socket::trace_state(TcpState from, TcpState to) {
    const auto f = static_cast<int>(from);
    const auto t = static_cast<int>(to);
    modem_.trace_event(TraceEvent(sched_.now(), "tcp_state")
                           .num("sock", static_cast<std::int64_t>(id_))
                           .num("fd", fd_)
                           .str("state", std::to_string(f) + "=>" + std::to_string(t))
                           .str("names", std::string(to_string(from)) + "=>" + to_string(to)));
    spdlog::debug("sock {} state {}=>{}", id_, to_string(from), to_string(to));
}

}  // namespace qpysim
