// How bytes get from one end of a connection to the other.
//
// A Segment is what one TCP end hands the other: SYN, data, FIN, RST, ACKs that
// carry a receive window. A Connection joins two ends (a device socket, a
// virtual peer, the host gateway) and delivers each segment through its Link,
// which decides when it arrives. Delivery always goes through the Scheduler's
// timers, even with zero latency, so no end is ever re-entered from inside its
// own call.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "qpysim/address.hpp"
#include "qpysim/bytes.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

struct Segment {
    enum class Kind : std::uint8_t { Syn, SynAck, Ack, Data, Fin, Rst };
    Kind kind = Kind::Ack;
    Bytes data;                // Data only
    std::uint64_t window = 0;  // sender's receive right edge: total bytes it accepts
    bool ack_fin = false;      // this segment acknowledges the receiver's FIN

    static Segment syn(std::uint64_t window) { return {Kind::Syn, {}, window, false}; }
    static Segment syn_ack(std::uint64_t window) { return {Kind::SynAck, {}, window, false}; }
    static Segment ack(std::uint64_t window, bool ack_fin = false) {
        return {Kind::Ack, {}, window, ack_fin};
    }
    static Segment payload(Bytes bytes) { return {Kind::Data, std::move(bytes), 0, false}; }
    static Segment fin(bool ack_fin = false) { return {Kind::Fin, {}, 0, ack_fin}; }
    static Segment rst() { return {Kind::Rst, {}, 0, false}; }
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
};

// Per-direction shaping. Grows with the fault layer; zero means "no effect".
struct LinkShape {
    Duration latency{0};  // one-way delay added to every segment
};

enum class Side : std::uint8_t { a = 0, b = 1 };  // a opened the connection
inline Side other(Side s) {
    return s == Side::a ? Side::b : Side::a;
}

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(Scheduler& sched, std::uint64_t id, LinkShape a_to_b, LinkShape b_to_a);

    std::uint64_t id() const noexcept { return id_; }
    void attach(Side side, std::weak_ptr<SegmentSink> end);
    // Send from `from` to the other end (lock held). Arrives later, in order.
    void send(Side from, Segment s);
    // `side` is gone; the other end hears of it once in-flight segments land.
    void detach(Side side);
    bool attached(Side side) const;

    Endpoint endpoint(Side s) const { return endpoints_[static_cast<int>(s)]; }
    void set_endpoint(Side s, Endpoint e) { endpoints_[static_cast<int>(s)] = e; }

  private:
    void deliver(Side to, Segment s);

    Scheduler& sched_;
    const std::uint64_t id_;
    std::array<LinkShape, 2> shape_;            // indexed by sending side
    std::array<DeviceTime, 2> last_arrival_{};  // keeps each direction in order
    std::array<std::weak_ptr<SegmentSink>, 2> ends_;
    std::array<bool, 2> detached_{false, false};
    std::array<Endpoint, 2> endpoints_{};
};

}  // namespace qpysim
