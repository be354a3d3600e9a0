#include "qpysim/link.hpp"

#include <algorithm>
#include <limits>

#include "qpysim/faults.hpp"
#include "qpysim/pcap.hpp"

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
        case Segment::Kind::Probe:
            return "PROBE";
        case Segment::Kind::ProbeAck:
            return "PROBE-ACK";
    }
    return "?";
}

namespace {

// Segments the link model retransmits when they are lost. SYNs have the
// socket's own timer; RSTs and keepalive probes are never retransmitted.
bool retransmitted(Segment::Kind k) noexcept {
    return k == Segment::Kind::SynAck || k == Segment::Kind::Ack || k == Segment::Kind::Data ||
           k == Segment::Kind::Fin;
}

}  // namespace

Connection::Connection(Scheduler& sched, std::uint64_t id, LinkHost* host, Side device)
    : sched_(sched),
      id_(id),
      host_(host),
      device_(device),
      opened_(sched.now()),
      last_activity_(sched.now()) {}

Connection::~Connection() = default;

void Connection::attach(Side side, std::weak_ptr<SegmentSink> end) {
    ends_[static_cast<int>(side)] = std::move(end);
    detached_[static_cast<int>(side)] = false;
}

bool Connection::attached(Side side) const {
    const int i = static_cast<int>(side);
    return !detached_[i] && !ends_[i].expired();
}

LinkInfo Connection::info() const {
    LinkInfo l;
    l.conn = id_;
    l.device_socket = device_socket_;
    l.device = endpoints_[index(device_)];
    l.peer = endpoints_[index(other(device_))];
    l.opened = opened_;
    l.last_activity = last_activity_;
    l.established = established_;
    return l;
}

void Connection::note(const char* what, Side from, const Segment* s, const std::string& why) {
    if (!host_ || !host_->link_tracing()) return;
    TraceEvent ev(sched_.now(), "link");
    ev.num("conn", static_cast<std::int64_t>(id_))
        .str("event", what)
        .str("dir", from == device_ ? "up" : "down");
    if (s) {
        ev.str("seg", to_string(s->kind));
        if (!s->data.empty()) ev.num("bytes", static_cast<std::int64_t>(s->data.size()));
    }
    if (device_socket_) ev.num("sock", static_cast<std::int64_t>(device_socket_));
    if (!why.empty()) ev.str("fault", why);
    host_->link_trace(std::move(ev));
}

void Connection::send(Side from, Segment s) {
    const int i = index(from);
    if (detached_[i]) return;
    Way& numbering = way_[static_cast<std::size_t>(i)];
    s.offset = numbering.numbered;
    numbering.numbered += s.data.size() + (s.kind == Segment::Kind::Fin ? 1 : 0);
    if (s.window > 0) numbering.edge = s.window;
    if (cut_ != Cut::none) {
        answer_cut(from, std::move(s));
        return;
    }
    Way& w = way_[static_cast<std::size_t>(i)];
    if (!w.stalled.empty() && retransmitted(s.kind)) {
        w.stalled.push_back(std::move(s));  // TCP delivers in order: it waits its turn
        return;
    }
    transmit(from, std::move(s));
}

bool Connection::transmit(Side from, Segment s) {
    const DeviceTime now = sched_.now();
    Way& w = way_[static_cast<std::size_t>(index(from))];
    if (from == device_) capture(from, s);  // it leaves the device, whatever happens next
    Crossing c;
    c.dir = from == device_ ? Direction::up : Direction::down;
    c.kind = s.kind;
    c.bytes = s.data.size();
    c.now = now;
    c.arrival = now;
    FaultSet* faults = host_ ? host_->link_faults() : nullptr;
    if (faults && faults->has_link_faults()) {
        if (!flows_) flows_ = std::make_unique<std::map<std::uint64_t, FaultFlow>>();
        faults->decide(info(), *flows_, c);
        schedule_wake();
    }
    const Duration one_way = c.arrival - now;
    if (c.refuse) {
        // Refused: the SYN goes no further; an RST comes back from the far side.
        note("refused", from, &s, c.why);
        deliver_at(other(from), now + 2 * one_way, Segment::rst());
        return true;
    }
    if (c.answer_rst) {
        note("answered_rst", from, &s, c.why);
        if (s.kind != Segment::Kind::Rst)
            deliver_at(other(from), now + 2 * one_way, Segment::rst());
        return true;
    }
    if (c.drop && !c.reset) {
        note("lost", from, &s, c.why);
        if (!retransmitted(s.kind)) return true;
        w.stalled.push_front(std::move(s));
        arm_retry(from);
        return false;
    }
    // It gets through.
    w.retries = 0;
    last_activity_ = now;
    if (s.kind == Segment::Kind::SynAck) established_ = true;
    if (s.kind == Segment::Kind::Fin) w.fin_passed = true;
    if (c.keep < s.data.size()) s.data.shrink(c.keep);
    const bool partial = c.keep != std::numeric_limits<std::size_t>::max();
    if (c.reset || c.close) {
        // What was let through before the cut arrives first; nothing else does.
        if (s.kind == Segment::Kind::Data && partial && !s.data.empty()) {
            deliver_at(from, c.arrival, std::move(s));
        } else if (c.close && !partial) {
            deliver_at(from, c.arrival, std::move(s));
        }
        const DeviceTime at = std::max(c.arrival, w.last_arrival);
        if (c.reset) {
            reset_both(at, c.why);
        } else {
            close_both(at, c.why);
        }
        return true;
    }
    if (c.slice > 0 && s.kind == Segment::Kind::Data && s.data.size() > c.slice) {
        const std::string_view all = s.data.view();
        std::size_t at = 0;
        DeviceTime when = c.arrival;
        auto& rng = faults->rng();
        while (at < all.size()) {
            std::size_t n = c.slice;
            if (c.slice_variation > 0) {
                const auto span = 2 * c.slice_variation + 1;
                n = c.slice - c.slice_variation + static_cast<std::size_t>(rng.next() % span);
            }
            n = std::min(n, all.size() - at);
            Segment piece = Segment::payload(Bytes(all.substr(at, n)));
            piece.offset = s.offset == Segment::kNoOffset ? s.offset : s.offset + at;
            deliver_at(from, when, std::move(piece));
            at += n;
            when += c.slice_gap;
        }
        return true;
    }
    deliver_at(from, c.arrival, std::move(s));
    return true;
}

void Connection::deliver_at(Side from, DeviceTime at, Segment s) {
    Way& w = way_[static_cast<std::size_t>(index(from))];
    const DeviceTime arrival = std::max(at, w.last_arrival);
    w.last_arrival = arrival;
    sched_.call_at(arrival, [self = shared_from_this(), to = other(from),
                             s = std::move(s)]() mutable { self->deliver(to, std::move(s)); });
}

void Connection::deliver(Side to, Segment s) {
    const int i = index(to);
    if (to == device_) capture(other(to), s);  // it reaches the device's interface
    Way& got = way_[static_cast<std::size_t>(i)];
    if (s.kind == Segment::Kind::Syn || s.kind == Segment::Kind::SynAck) got.got_syn = true;
    if (s.kind == Segment::Kind::Data) got.received += s.data.size();
    if (s.kind == Segment::Kind::Fin) got.got_fin = true;
    auto end = detached_[i] ? nullptr : ends_[i].lock();
    if (end) {
        if (s.kind == Segment::Kind::Probe) {
            // The end's TCP stack answers a keepalive probe by itself.
            if (cut_ == Cut::none) send(to, Segment{Segment::Kind::ProbeAck, {}, 0, false});
            return;
        }
        end->on_segment(shared_from_this(), std::move(s));
        return;
    }
    // Nobody home: a real stack answers anything but an RST with an RST.
    if (s.kind == Segment::Kind::Rst || detached_[index(other(to))]) return;
    if (cut_ != Cut::none) return;
    transmit(to, Segment::rst());
}

// ---------------------------------------------------------------- capture

namespace {

// The TCP flags a segment of this kind carries (ACK until the sender has
// heard the other side's SYN is taken off by capture()).
std::uint8_t tcp_flags(Segment::Kind k) noexcept {
    switch (k) {
        case Segment::Kind::Syn:
            return tcp_flag::syn;
        case Segment::Kind::SynAck:
            return tcp_flag::syn | tcp_flag::ack;
        case Segment::Kind::Data:
            return tcp_flag::psh | tcp_flag::ack;
        case Segment::Kind::Fin:
            return tcp_flag::fin | tcp_flag::ack;
        case Segment::Kind::Rst:
            return tcp_flag::rst | tcp_flag::ack;
        case Segment::Kind::Ack:
        case Segment::Kind::Probe:
        case Segment::Kind::ProbeAck:
            break;
    }
    return tcp_flag::ack;
}

}  // namespace

std::uint32_t Connection::isn(Side s) const noexcept {
    // Fixed per connection and side, so a capture repeats with the run.
    const std::uint64_t x =
        (id_ + 1) * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(s) * 0x632BE59BD9B4E019ull;
    return static_cast<std::uint32_t>(x >> 32);
}

void Connection::capture(Side from, const Segment& s) {
    PacketCapture* cap = host_ ? host_->link_capture() : nullptr;
    if (!cap) return;
    const Way& mine = way_[static_cast<std::size_t>(index(from))];
    const Side to = other(from);
    const std::uint64_t offset = s.offset == Segment::kNoOffset ? mine.numbered : s.offset;
    const std::uint32_t next = isn(from) + 1 + static_cast<std::uint32_t>(offset);
    using K = Segment::Kind;
    PacketCapture::Tcp h;
    h.flags = tcp_flags(s.kind);
    h.seq = s.kind == K::Syn || s.kind == K::SynAck ? isn(from)
            : s.kind == K::Probe                    ? next - 1  // a keepalive: one byte before
                                                    : next;
    if (mine.got_syn) {
        h.ack = isn(to) + 1 + static_cast<std::uint32_t>(mine.received) + (mine.got_fin ? 1 : 0);
    } else {
        h.flags &= static_cast<std::uint8_t>(~tcp_flag::ack);
    }
    const std::uint64_t edge = s.window > 0 ? s.window : mine.edge;
    h.window = static_cast<std::uint16_t>(
        std::min<std::uint64_t>(edge > mine.received ? edge - mine.received : 0, 0xffff));
    cap->tcp(sched_.now(), endpoints_[index(from)], endpoints_[index(to)], h, s.data.view());
}

// ---------------------------------------------------------------- retransmission

void Connection::arm_retry(Side from) {
    Way& w = way_[static_cast<std::size_t>(index(from))];
    if (w.retry_timer) return;
    const int shift = std::min(w.retries, 6);
    const Duration rto = std::min(kRtoInitial * (1 << shift), kRtoMax);
    w.retry_timer =
        sched_.call_after(rto, [self = shared_from_this(), from] { self->retry(from); });
}

void Connection::retry(Side from) {
    Way& w = way_[static_cast<std::size_t>(index(from))];
    w.retry_timer = 0;
    if (detached_[index(from)] || cut_ != Cut::none) {
        w.stalled.clear();
        return;
    }
    if (w.stalled.empty()) return;
    if (w.retries >= kMaxRetransmits) {
        if (w.stalled.front().kind != Segment::Kind::Ack) {
            give_up(from);
            return;
        }
        // A lost pure ACK is not worth a connection: a later one replaces it.
        w.stalled.pop_front();
        w.retries = 0;
    } else {
        ++w.retries;
        if (host_ && host_->link_tracing()) {
            TraceEvent ev(sched_.now(), "link");
            ev.num("conn", static_cast<std::int64_t>(id_))
                .str("event", "retransmit")
                .str("dir", from == device_ ? "up" : "down")
                .str("seg", to_string(w.stalled.front().kind))
                .num("try", w.retries);
            host_->link_trace(std::move(ev));
        }
    }
    flush(from);
}

void Connection::flush(Side from) {
    Way& w = way_[static_cast<std::size_t>(index(from))];
    while (!w.stalled.empty() && cut_ == Cut::none) {
        Segment s = std::move(w.stalled.front());
        w.stalled.pop_front();
        if (!transmit(from, std::move(s))) return;  // lost again: back at the head
    }
}

void Connection::give_up(Side from) {
    Way& w = way_[static_cast<std::size_t>(index(from))];
    note("give_up", from, &w.stalled.front(), "");
    w.stalled.clear();
    w.retries = 0;
    if (auto end = ends_[index(from)].lock(); end && !detached_[index(from)]) end->on_give_up();
}

// ---------------------------------------------------------------- cut connections

void Connection::close_both(DeviceTime at, const std::string& why) {
    // A proxy closing both of its sockets: each end gets FIN, which also
    // acknowledges that end's own FIN if it had sent one.
    cut_ = Cut::closed;
    note("closed", device_, nullptr, why);
    for (const Side s : {Side::a, Side::b}) {
        const bool their_fin = way_[static_cast<std::size_t>(index(s))].fin_passed;
        way_[static_cast<std::size_t>(index(s))].stalled.clear();
        deliver_at(other(s), at, Segment::fin(their_fin));
    }
}

void Connection::reset_both(DeviceTime at, const std::string& why) {
    cut_ = Cut::reset;
    note("reset", device_, nullptr, why);
    for (const Side s : {Side::a, Side::b}) {
        way_[static_cast<std::size_t>(index(s))].stalled.clear();
        deliver_at(other(s), at, Segment::rst());
    }
}

void Connection::answer_cut(Side from, Segment s) {
    // The far side is a closed proxy socket (closed) or nothing (reset).
    if (cut_ == Cut::reset) return;
    const DeviceTime now = sched_.now();
    switch (s.kind) {
        case Segment::Kind::Fin:
            deliver_at(other(from), now, Segment::ack(0, true));
            break;
        case Segment::Kind::Syn:
        case Segment::Kind::SynAck:
        case Segment::Kind::Data:
            deliver_at(other(from), now, Segment::rst());
            break;
        case Segment::Kind::Probe:
            deliver_at(other(from), now, Segment{Segment::Kind::ProbeAck, {}, 0, false});
            break;
        case Segment::Kind::Ack:
        case Segment::Kind::Rst:
        case Segment::Kind::ProbeAck:
            break;
    }
}

// ---------------------------------------------------------------- timers

void Connection::schedule_wake() {
    std::optional<DeviceTime> next;
    if (flows_) {
        for (const auto& [id, flow] : *flows_) {
            if (flow.wake_at && (!next || *flow.wake_at < *next)) next = flow.wake_at;
        }
    }
    if (next == wake_at_) return;
    if (wake_timer_) sched_.cancel(wake_timer_);
    wake_timer_ = 0;
    wake_at_ = next;
    if (!next) return;
    wake_timer_ = sched_.call_at(*next, [w = weak_from_this()] {
        if (auto self = w.lock()) {
            self->wake_timer_ = 0;
            self->wake_at_.reset();
            self->wake();
        }
    });
}

void Connection::poke() {
    wake();
}

void Connection::wake() {
    if (cut_ != Cut::none || detached_[0] || detached_[1]) return;
    FaultSet* faults = host_ ? host_->link_faults() : nullptr;
    if (!faults || !faults->has_link_faults()) return;
    if (!flows_) flows_ = std::make_unique<std::map<std::uint64_t, FaultFlow>>();
    Crossing c;
    c.tick = true;
    c.now = sched_.now();
    c.arrival = c.now;
    faults->decide(info(), *flows_, c);
    if (c.reset) {
        reset_both(c.now, c.why);
    } else if (c.close) {
        close_both(c.now, c.why);
    }
    schedule_wake();
}

void Connection::detach(Side side) {
    const int i = index(side);
    if (detached_[i]) return;
    detached_[i] = true;
    ends_[i].reset();
    Way& w = way_[static_cast<std::size_t>(i)];
    if (w.retry_timer) {
        // Nothing of a freed pcb is retransmitted.
        sched_.cancel(w.retry_timer);
        w.retry_timer = 0;
    }
    w.stalled.clear();
    // Tell the other end after whatever is already in flight towards it.
    const int o = index(other(side));
    const DeviceTime when = std::max(sched_.now(), w.last_arrival);
    sched_.call_at(when, [self = shared_from_this(), o] {
        if (auto end = self->ends_[o].lock(); end && !self->detached_[o]) end->on_peer_detached();
    });
}

}  // namespace qpysim
