#include "qpysim/link.hpp"

#include <algorithm>

namespace qpysim {

const char* to_string(Segment::Kind k) noexcept {
    switch (k) {
        case Segment::Kind::Syn:
            return "SYN";
        case Segment::Kind::SynAck:
            return "SYN-ACK";
        case Segment::Kind::Ack:
            return "ACK";
        case Segment::Kind::Data:
            return "DATA";
        case Segment::Kind::Fin:
            return "FIN";
        case Segment::Kind::Rst:
            return "RST";
    }
    return "?";
}

Connection::Connection(Scheduler& sched, std::uint64_t id, LinkShape a_to_b, LinkShape b_to_a)
    : sched_(sched), id_(id), shape_{a_to_b, b_to_a} {}

void Connection::attach(Side side, std::weak_ptr<SegmentSink> end) {
    ends_[static_cast<int>(side)] = std::move(end);
    detached_[static_cast<int>(side)] = false;
}

bool Connection::attached(Side side) const {
    const int i = static_cast<int>(side);
    return !detached_[i] && !ends_[i].expired();
}

void Connection::send(Side from, Segment s) {
    const int i = static_cast<int>(from);
    if (detached_[i]) return;
    const DeviceTime arrival = std::max(sched_.now() + shape_[i].latency, last_arrival_[i]);
    last_arrival_[i] = arrival;
    sched_.call_at(arrival, [self = shared_from_this(), to = other(from),
                             s = std::move(s)]() mutable { self->deliver(to, std::move(s)); });
}

void Connection::deliver(Side to, Segment s) {
    const int i = static_cast<int>(to);
    auto end = detached_[i] ? nullptr : ends_[i].lock();
    if (end) {
        end->on_segment(shared_from_this(), std::move(s));
        return;
    }
    // Nobody home: a real stack answers anything but an RST with an RST. The
    // dead end's side is detached, so the reply is scheduled here, not by send().
    const Side back = other(to);
    if (s.kind == Segment::Kind::Rst || detached_[static_cast<int>(back)]) return;
    const DeviceTime arrival = std::max(sched_.now() + shape_[i].latency, last_arrival_[i]);
    last_arrival_[i] = arrival;
    sched_.call_at(arrival,
                   [self = shared_from_this(), back] { self->deliver(back, Segment::rst()); });
}

void Connection::detach(Side side) {
    const int i = static_cast<int>(side);
    if (detached_[i]) return;
    detached_[i] = true;
    ends_[i].reset();
    // Tell the other end after whatever is already in flight towards it.
    const int o = static_cast<int>(other(side));
    const DeviceTime when = std::max(sched_.now(), last_arrival_[i]);
    sched_.call_at(when, [self = shared_from_this(), o] {
        if (auto end = self->ends_[o].lock(); end && !self->detached_[o]) end->on_peer_detached();
    });
}

}  // namespace qpysim
