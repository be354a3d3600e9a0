// The TCP connection state machine of one socket, numbered as lwIP numbers it
// (lwIP `enum tcp_state`, which QuecPython's getsocketsta() returns) and moving
// as RFC 9293 section 3.3.2 says. Sans-I/O: it never sends, sleeps or reads a
// clock. The caller feeds it an event and the current device time and carries
// out the actions it returns; `next_deadline()` says when it wants `on_timer`.
//
// Deliberate simplifications, all invisible to a device script:
//  - Segments carry no sequence numbers; the link delivers them in order and the
//    Socket does flow control with byte counts, so "ACK of our FIN" is an event.
//  - Retransmission is modelled by timers (SYN retries, data retries), not by
//    resending bytes: the link either delivers a segment or the fault layer says
//    it was lost.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "qpysim/error.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

enum class TcpState : std::uint8_t {
    Closed = 0,
    Listen = 1,
    SynSent = 2,
    SynRcvd = 3,
    Established = 4,
    FinWait1 = 5,
    FinWait2 = 6,
    CloseWait = 7,
    Closing = 8,
    LastAck = 9,
    TimeWait = 10,
};

// getsocketsta() returns these numbers; scripts compare them literally.
static_assert(static_cast<int>(TcpState::Closed) == 0);
static_assert(static_cast<int>(TcpState::Listen) == 1);
static_assert(static_cast<int>(TcpState::SynSent) == 2);
static_assert(static_cast<int>(TcpState::SynRcvd) == 3);
static_assert(static_cast<int>(TcpState::Established) == 4);
static_assert(static_cast<int>(TcpState::FinWait1) == 5);
static_assert(static_cast<int>(TcpState::FinWait2) == 6);
static_assert(static_cast<int>(TcpState::CloseWait) == 7);
static_assert(static_cast<int>(TcpState::Closing) == 8);
static_assert(static_cast<int>(TcpState::LastAck) == 9);
static_assert(static_cast<int>(TcpState::TimeWait) == 10);

// RFC 9293 names: "SYN-SENT", "TIME-WAIT".
const char* to_string(TcpState s) noexcept;

enum class TcpEvent : std::uint8_t {
    ActiveOpen,   // app: connect()
    PassiveOpen,  // app: listen()
    ChildOpen,    // stack: a SYN reached a listener; this machine is the new child
    RecvSyn,      // peer SYN without ACK (simultaneous open)
    RecvSynAck,   // peer answered our SYN
    RecvAck,      // peer acknowledged our SYN or our FIN
    RecvFin,      // peer FIN that does not acknowledge ours
    RecvFinAck,   // peer FIN that also acknowledges ours
    RecvRst,      // peer reset
    Close,        // app: close()
    Abort,        // app or stack: drop the connection with RST
    GiveUp,       // stack: retransmissions or keepalives exhausted
};

const char* to_string(TcpEvent e) noexcept;

// What the caller must do after a step. Several flags may be set at once.
struct TcpActions {
    bool send_syn = false;
    bool send_syn_ack = false;
    bool send_ack = false;
    bool send_fin = false;
    bool send_rst = false;
    bool connected = false;  // the connection became ESTABLISHED
    bool peer_eof = false;   // the peer will send no more data
    bool freed = false;      // the machine reached CLOSED: the pcb can be released
    errc error = errc::ok;   // the error the application sees from now on
};

struct TcpTimings {
    // lwIP TCP_MSL is 60 s and TIME-WAIT lasts 2*MSL.
    Duration time_wait = 120s;
};

class TcpMachine {
  public:
    using Observer = std::function<void(TcpState from, TcpState to)>;

    TcpMachine() = default;
    explicit TcpMachine(TcpTimings timings) : timings_(timings) {}

    // Called on every state change; the Socket uses it for the trace.
    void set_observer(Observer obs) { observer_ = std::move(obs); }

    TcpState state() const noexcept { return state_; }
    int number() const noexcept { return static_cast<int>(state_); }

    // Feed one event. `now` is only used to arm the TIME-WAIT deadline.
    TcpActions step(TcpEvent ev, DeviceTime now);

    // When on_timer() must run next, if at all.
    std::optional<DeviceTime> next_deadline() const noexcept { return deadline_; }
    // Run the timer if it is due; returns what to do (TIME-WAIT expiry).
    TcpActions on_timer(DeviceTime now);

    // Named questions callers ask instead of comparing states.
    bool is_open() const noexcept;          // not CLOSED (a pcb exists)
    bool is_connecting() const noexcept;    // SYN-SENT or SYN-RECEIVED
    bool is_synchronized() const noexcept;  // handshake done, not yet CLOSED/TIME-WAIT
    bool may_send() const noexcept;         // app may still queue data for the peer
    bool may_recv() const noexcept;         // the peer may still send us data
    bool is_listening() const noexcept { return state_ == TcpState::Listen; }
    bool local_closed() const noexcept;  // our FIN has been sent (or nothing to close)

  private:
    void set_state(TcpState next);

    TcpState state_ = TcpState::Closed;
    TcpTimings timings_{};
    std::optional<DeviceTime> deadline_;
    Observer observer_;
};

}  // namespace qpysim
