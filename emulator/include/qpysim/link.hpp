// How bytes get from one end of a connection to the other.
//
// A Segment is what one TCP end hands the other: SYN, data, FIN, RST, ACKs that
// carry a receive window, keepalive probes. A Connection joins two ends (a
// device socket, a virtual peer, the host gateway) and delivers each segment
// after asking the fault layer (faults.hpp) when it arrives, whether it is lost,
// sliced, cut or reset. Delivery always goes through the Scheduler's timers,
// even with nothing in the way, so no end is ever re-entered from inside its
// own call.
//
// Lost segments are retransmitted by the Connection, not by the ends: the
// model has no sequence numbers, so "retransmission" is the Connection holding
// a lost segment (and everything behind it in that direction: TCP delivers in
// order) and trying again on lwIP's schedule. A first RTO of 1 s doubling to
// 64 s, and after TCP_MAXRTX (12) retransmissions of one segment the sender
// gives up (SegmentSink::on_give_up: ECONNABORTED), 511 s after the first
// loss. SYNs are not held (the socket's own SYN timer retries them), nor RSTs
// and keepalive probes (lost is lost).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "qpysim/address.hpp"
#include "qpysim/bytes.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/time.hpp"
#include "qpysim/trace.hpp"

namespace qpysim {

class FaultSet;
class PacketCapture;
struct FaultFlow;
struct LinkInfo;

struct Segment {
    // Probe is a keepalive probe; the Connection answers it with ProbeAck for
    // any live end, as every TCP stack does without asking the application.
    enum class Kind : std::uint8_t { Syn, SynAck, Ack, Data, Fin, Rst, Probe, ProbeAck };
    static constexpr std::uint64_t kNoOffset = ~std::uint64_t{0};
    Kind kind = Kind::Ack;
    Bytes data;                // Data only
    std::uint64_t window = 0;  // sender's receive right edge: total bytes it accepts
    bool ack_fin = false;      // this segment acknowledges the receiver's FIN
    // Data bytes its direction carried before it, numbered by the Connection
    // when the segment enters it (the capture's sequence numbers).
    std::uint64_t offset = kNoOffset;

    static Segment syn(std::uint64_t window) { return {Kind::Syn, {}, window, false}; }
    static Segment syn_ack(std::uint64_t window) { return {Kind::SynAck, {}, window, false}; }
    static Segment ack(std::uint64_t window, bool ack_fin = false) {
        return {Kind::Ack, {}, window, ack_fin};
    }
    static Segment payload(Bytes bytes) { return {Kind::Data, std::move(bytes), 0, false}; }
    static Segment fin(bool ack_fin = false) { return {Kind::Fin, {}, 0, ack_fin}; }
    static Segment rst() { return {Kind::Rst, {}, 0, false}; }
    static Segment probe() { return {Kind::Probe, {}, 0, false}; }
};

const char* to_string(Segment::Kind k) noexcept;

class Connection;

// One end of a TCP connection.
class SegmentSink {
  public:
    virtual ~SegmentSink() = default;
    // Called with the core lock held. `via` is the connection it came over (a
    // listener learns of new connections this way).
    virtual void on_segment(const std::shared_ptr<Connection>& via, Segment s) = 0;
    // The other end is gone for good (it was freed, or the gateway lost it).
    virtual void on_peer_detached() {}
    // A segment this end sent was lost TCP_MAXRTX times: the stack gives up.
    virtual void on_give_up() {}
};

// What a Connection needs from the module around it: the faults in force and
// the trace. The Modem implements it; tests may pass a small fake.
class LinkHost {
  public:
    virtual ~LinkHost() = default;
    virtual FaultSet* link_faults() noexcept = 0;
    virtual bool link_tracing() const noexcept = 0;
    virtual void link_trace(TraceEvent ev) = 0;
    // The packet capture (--pcap), or null.
    virtual PacketCapture* link_capture() noexcept { return nullptr; }
};

enum class Side : std::uint8_t { a = 0, b = 1 };  // a opened the connection
inline Side other(Side s) {
    return s == Side::a ? Side::b : Side::a;
}

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    static constexpr Duration kRtoInitial = 1s;
    static constexpr Duration kRtoMax = 64s;
    static constexpr int kMaxRetransmits = 12;  // lwIP TCP_MAXRTX

    // `device` is the side the module's socket is on (a when the device opened
    // the connection). `host` may be null: no faults, no trace.
    Connection(Scheduler& sched, std::uint64_t id, LinkHost* host, Side device = Side::a);
    ~Connection();

    std::uint64_t id() const noexcept { return id_; }
    void attach(Side side, std::weak_ptr<SegmentSink> end);
    // Send from `from` to the other end (lock held). Arrives later, in order.
    void send(Side from, Segment s);
    // `side` is gone; the other end hears of it once in-flight segments land.
    void detach(Side side);
    bool attached(Side side) const;

    Endpoint endpoint(Side s) const { return endpoints_[static_cast<int>(s)]; }
    void set_endpoint(Side s, Endpoint e) { endpoints_[static_cast<int>(s)] = e; }
    Side device_side() const noexcept { return device_; }
    // The device socket's id, for fault matching and the trace.
    void set_device_socket(std::uint64_t id) noexcept { device_socket_ = id; }
    // A fault was applied: let faults that act on idle connections act now.
    void poke();

  private:
    enum class Cut : std::uint8_t { none, closed, reset };
    // One direction, indexed by the sending side.
    struct Way {
        DeviceTime last_arrival{};    // keeps the direction in order
        std::deque<Segment> stalled;  // a lost segment and what waits behind it
        int retries = 0;              // retransmissions of the head
        Scheduler::TimerId retry_timer = 0;
        bool fin_passed = false;  // this side's FIN got through
        // For the capture, by sending side: data bytes numbered so far, the
        // receive edge it last advertised, and what it has received.
        std::uint64_t numbered = 0;
        std::uint64_t edge = 0;
        std::uint64_t received = 0;
        bool got_syn = false;
        bool got_fin = false;
    };

    static int index(Side s) noexcept { return static_cast<int>(s); }
    // Cross the link; false when the segment was lost and now heads the stall.
    bool transmit(Side from, Segment s);
    void deliver(Side to, Segment s);
    void deliver_at(Side from, DeviceTime at, Segment s);
    void arm_retry(Side from);
    void retry(Side from);
    void flush(Side from);
    void give_up(Side from);
    void answer_cut(Side from, Segment s);
    void reset_both(DeviceTime at, const std::string& why);
    void close_both(DeviceTime at, const std::string& why);
    void schedule_wake();
    void wake();
    void note(const char* what, Side from, const Segment* s, const std::string& why);
    // Write `s` to the capture as a packet from `from` (on the device's wire).
    void capture(Side from, const Segment& s);
    std::uint32_t isn(Side s) const noexcept;
    LinkInfo info() const;

    Scheduler& sched_;
    const std::uint64_t id_;
    LinkHost* host_;
    const Side device_;
    std::uint64_t device_socket_ = 0;
    const DeviceTime opened_;
    DeviceTime last_activity_;
    bool established_ = false;
    Cut cut_ = Cut::none;
    std::array<Way, 2> way_;
    std::array<std::weak_ptr<SegmentSink>, 2> ends_;
    std::array<bool, 2> detached_{false, false};
    std::array<Endpoint, 2> endpoints_{};
    std::unique_ptr<std::map<std::uint64_t, FaultFlow>> flows_;  // per fault id, made on demand
    Scheduler::TimerId wake_timer_ = 0;
    std::optional<DeviceTime> wake_at_;
};

}  // namespace qpysim
