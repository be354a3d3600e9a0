// One socket of the emulated stack, with usocket's semantics: blocking,
// timeout and non-blocking modes, lwIP-sized buffers with back-pressure, the
// errors QuecPython raises, and a TcpMachine that moves through lwIP's states
// as segments cross the link.
//
// A Socket is usually a device socket (it holds a slot in the module's socket
// table), but the same class serves the far end of device-to-device
// connections and Python-written virtual peers, so both ends of a virtual
// connection behave like real TCP.
//
// Every public call takes the core lock itself and may block (with the lock
// released by the Scheduler); calls throw Error (an errc), Halted, or
// UsageError for arguments the device would reject with ValueError.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "qpysim/address.hpp"
#include "qpysim/byte_queue.hpp"
#include "qpysim/link.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/tcp_machine.hpp"

namespace qpysim {

class Modem;

enum class SockType { stream = 1, dgram = 2, raw = 3 };

// Where a UDP socket's datagrams go. Implemented by the host gateway, virtual
// services and device sockets themselves.
class DatagramSink {
  public:
    virtual ~DatagramSink() = default;
    // Core lock held. `from` is the sender as the receiver sees it.
    virtual void on_datagram(std::string data, Endpoint from) = 0;
};

// Readiness, with MicroPython's select.poll bit values.
enum PollBits : int { poll_in = 1, poll_out = 4, poll_err = 8, poll_hup = 16, poll_nval = 32 };

class Socket final : public SegmentSink,
                     public DatagramSink,
                     public std::enable_shared_from_this<Socket> {
  public:
    struct Accepted {
        std::shared_ptr<Socket> socket;
        Endpoint peer;
    };

    // Use Modem::open_socket(); `fd` is -1 for sockets outside the table.
    Socket(Modem& modem, SockType type, bool v6, int proto, int fd);
    ~Socket() override;

    // ---- the usocket API ----
    void bind(const std::string& host, int port);
    void listen(int backlog);
    Accepted accept();
    void connect(const std::string& host, int port);
    // send(): returns the bytes queued (all of them when blocking).
    std::size_t send(std::string_view data);
    // sendall()/write(): no short writes while blocking; a non-blocking write
    // returns what fit. `raise_on_partial_timeout`: sendall raises ETIMEDOUT.
    std::size_t send_all(std::string_view data, bool raise_on_partial_timeout);
    std::size_t sendto(std::string_view data, const std::string& ip, int port);
    Bytes recv(std::size_t max);
    // recv() with flags: peek leaves the bytes (or datagram) queued
    // (MSG_PEEK); dont_wait does not block this once (MSG_DONTWAIT).
    Bytes recv(std::size_t max, bool peek, bool dont_wait);
    Bytes recvfrom(std::size_t max, Endpoint& from);
    // recvfrom() with flags, as recv() takes them.
    Bytes recvfrom(std::size_t max, Endpoint& from, bool peek, bool dont_wait);
    // read()/readinto(): no short reads; `max` nullopt reads to end of stream.
    Bytes read(std::optional<std::size_t> max);
    // Up to and including a newline, at most `max` bytes (MicroPython's
    // readline([size])); what came before a timeout or EAGAIN is returned.
    Bytes readline(std::size_t max = SIZE_MAX);
    void close() noexcept;
    // A closed socket's pcb in TIME-WAIT: when it leaves (nullopt otherwise).
    // Called with the core lock held.
    std::optional<DeviceTime> time_wait_until() const noexcept;
    // Release a TIME-WAIT pcb early, silently (lwIP's tcp_kill_timewait when
    // its pcb pool runs out). Called with the core lock held.
    void recycle_time_wait();
    void settimeout(std::optional<Duration> timeout);
    std::optional<Duration> timeout() const;
    void set_keepalive_minutes(int minutes);
    void set_reuseaddr(bool on);
    // SO_LINGER with a zero timeout: close() resets the connection (RST)
    // instead of closing it gracefully.
    void set_linger_abort(bool on);
    // getsocketsta(): lwIP state number, -1 once closed.
    int tcp_state() const;
    int fileno() const;
    // A number that names this socket in traces for its whole life (fds are reused).
    std::uint64_t id() const noexcept { return id_; }
    // Stream bytes the script has taken out of this socket so far, including
    // those a read that then failed took and dropped (as py/stream.c does).
    std::uint64_t bytes_read() const;
    int poll_events() const;
    // Waits until poll_events() & mask, or the deadline; returns the events.
    int wait_events(int mask, std::optional<DeviceTime> deadline);

    std::optional<Endpoint> local() const;
    std::optional<Endpoint> remote() const;
    SockType type() const noexcept { return type_; }
    bool is_v6() const noexcept { return v6_; }
    int proto() const noexcept { return proto_; }
    bool closed() const noexcept { return closed_; }
    // A socket of a virtual host (a Python peer), not of the module.
    bool host_side() const noexcept { return host_side_; }
    void set_host_side() noexcept { host_side_ = true; }

    // ---- the stack's side (core lock held) ----
    void on_segment(const std::shared_ptr<Connection>& via, Segment s) override;
    void on_peer_detached() override;
    void on_give_up() override;
    void on_datagram(std::string data, Endpoint from) override;
    // Called by the modem when the PDP context goes down or the module resets:
    // the connection dies without a word to the peer.
    void drop_silently(errc error);
    bool is_listener() const noexcept { return tcp_.is_listening(); }
    std::uint16_t local_port() const noexcept { return local_ ? local_->port : 0; }
    bool holds_port() const noexcept;
    // local() for callers that already hold the core lock.
    const std::optional<Endpoint>& local_endpoint_unlocked() const noexcept {
        return local_;
    }  // still occupies its local port (TIME-WAIT included)
    TcpState raw_state() const noexcept { return tcp_.state(); }
    WaitQueue& waiters() noexcept { return waiters_; }

  private:
    using Lock = std::unique_lock<std::mutex>;

    CoreLock lock() const;
    void check_open() const;
    void throw_error(errc e) const;
    [[noreturn]] void fail(errc e) const;
    // Deadline for recv/accept/send waits and what its expiry raises.
    std::optional<DeviceTime> io_deadline(errc& on_expiry) const;
    bool nonblocking() const noexcept { return timeout_ && timeout_->count() == 0; }
    Endpoint resolve_one(Lock& lk, const std::string& host, int port);
    void ensure_local(bool for_stream);
    void check_port(int port) const;

    void start_connect(Lock& lk, const Endpoint& remote);
    void apply(const TcpActions& a, bool ack_fin = false);
    void pump();
    void send_window_update(bool force);
    std::uint64_t right_edge() const noexcept { return consumed_total_ + rcvbuf_; }
    void arm_tcp_timer();
    void arm_syn_timer(DeviceTime at);
    void syn_timer_fired();
    void arm_keepalive(DeviceTime at);
    void keepalive_fired();
    void free_pcb();
    void on_child_established(const std::shared_ptr<Socket>& child);
    void on_child_gone(Socket* child);
    void abort_pending_children();
    std::size_t queue_bytes(Lock& lk, std::string_view data, bool& partial);
    Bytes recv_locked(Lock& lk, std::size_t max, bool peek = false);
    Bytes recv_dgram(Lock& lk, std::size_t max, Endpoint& from, bool peek = false);
    bool wait_readable(Lock& lk);
    Bytes take_rx(std::size_t n);
    void accept_syn(const std::shared_ptr<Connection>& via, const Segment& syn);
    void wake();
    void trace_state(TcpState from, TcpState to);

    Modem& modem_;
    Scheduler& sched_;
    const std::uint64_t id_;
    const SockType type_;
    const bool v6_;
    const int proto_;
    int fd_;
    bool closed_ = false;
    bool host_side_ = false;
    std::optional<Duration> timeout_;  // nullopt: block forever; zero: non-blocking
    bool reuseaddr_ = false;
    bool linger_abort_ = false;
    int keepalive_minutes_ = 0;

    std::optional<Endpoint> local_;
    std::optional<Endpoint> remote_;
    bool bind_failed_ = false;  // 2025 firmware: bind() ignored a taken port

    // TCP
    TcpMachine tcp_;
    std::shared_ptr<Connection> conn_;
    Side side_ = Side::a;
    bool ever_connected_ = false;
    bool eof_ = false;
    bool fin_reported_ = false;    // a read met the FIN (Dialect::fin_read_enotconn)
    bool reset_reported_ = false;  // a read reported the reset (Dialect::reset_read_once)
    errc error_ = errc::ok;        // sticky once set, as lwIP's fatal netconn errors are
    ByteQueue rx_;
    ByteQueue tx_;
    std::size_t rcvbuf_;
    std::size_t sndbuf_;
    std::uint64_t consumed_total_ = 0;   // bytes the app has read
    std::uint64_t advertised_edge_ = 0;  // right edge last told to the peer
    std::uint64_t sent_total_ = 0;       // bytes handed to the link
    std::uint64_t peer_edge_ = 0;        // the peer's right edge
    bool fin_pending_ = false;           // FIN waits behind queued data
    Scheduler::TimerId tcp_timer_ = 0;
    std::optional<DeviceTime> tcp_timer_at_;
    Scheduler::TimerId syn_timer_ = 0;
    // TCP_KEEPALIVE: probes after keepalive_minutes_ of silence from the peer.
    DeviceTime last_heard_{};
    int probes_sent_ = 0;
    Scheduler::TimerId keepalive_timer_ = 0;
    int syn_retries_ = 0;

    // listener
    int backlog_ = 0;
    std::deque<std::shared_ptr<Socket>> half_open_;
    std::deque<std::shared_ptr<Socket>> accept_q_;
    std::weak_ptr<Socket> listener_;

    // UDP
    struct Datagram {
        std::string data;
        Endpoint from;
    };
    std::deque<Datagram> dgrams_;
    std::size_t dgram_bytes_ = 0;

    WaitQueue waiters_;
};

}  // namespace qpysim
