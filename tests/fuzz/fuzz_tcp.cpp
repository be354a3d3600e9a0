// libFuzzer target: the TCP state machine. Two machines (a client and a
// listener's child) exchange segments over a network the input controls:
// deliver in any order, drop, duplicate, close, abort, give up, let time pass.
// After every step: the state is a lwIP number, every transition is one the
// RFC 9293 diagram (or an abort to CLOSED) allows, `connected` and `freed`
// agree with the state, TIME-WAIT and only TIME-WAIT has a deadline, and an
// ESTABLISHED client heard a SYN-ACK.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <set>
#include <utility>

#include "qpysim/tcp_machine.hpp"

namespace {

using qpysim::DeviceTime;
using qpysim::TcpActions;
using qpysim::TcpEvent;
using qpysim::TcpMachine;
using qpysim::TcpState;

enum class Seg : std::uint8_t { Syn, SynAck, Ack, Fin, Rst };

struct Packet {
    int to;  // 0: client, 1: server child
    Seg seg;
};

void check(bool ok) {
    if (!ok) std::abort();
}

bool legal(TcpState from, TcpState to) {
    using S = TcpState;
    if (to == S::Closed) return true;  // close, abort, reset, give-up, 2*MSL
    static const std::set<std::pair<S, S>> edges = {
        {S::Closed, S::SynSent},       {S::Closed, S::Listen},       {S::Closed, S::SynRcvd},
        {S::SynSent, S::SynRcvd},      {S::SynSent, S::Established}, {S::SynRcvd, S::Established},
        {S::SynRcvd, S::CloseWait},    {S::SynRcvd, S::FinWait1},    {S::Established, S::CloseWait},
        {S::Established, S::FinWait1}, {S::FinWait1, S::FinWait2},   {S::FinWait1, S::Closing},
        {S::FinWait1, S::TimeWait},    {S::FinWait2, S::TimeWait},   {S::CloseWait, S::LastAck},
        {S::Closing, S::TimeWait},
    };
    return edges.count({from, to}) != 0;
}

struct Side {
    TcpMachine m{qpysim::TcpTimings{std::chrono::seconds(120)}};
    bool heard_syn_ack = false;
};

void check_side(const Side& s, const TcpActions& a) {
    const int n = s.m.number();
    check(n >= 0 && n <= 10);
    if (a.connected)
        check(s.m.state() == TcpState::Established || s.m.state() == TcpState::CloseWait);
    if (a.freed) check(s.m.state() == TcpState::Closed);
    check(s.m.next_deadline().has_value() == (s.m.state() == TcpState::TimeWait));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Side side[2];
    for (auto& s : side) {
        s.m.set_observer([](TcpState from, TcpState to) { check(legal(from, to)); });
    }
    std::deque<Packet> net;
    DeviceTime now{};
    bool child_open = false;

    auto emit = [&](int from, const TcpActions& a) {
        const int to = 1 - from;
        if (a.send_syn) net.push_back({to, Seg::Syn});
        if (a.send_syn_ack) net.push_back({to, Seg::SynAck});
        if (a.send_ack) net.push_back({to, Seg::Ack});
        if (a.send_fin) net.push_back({to, Seg::Fin});
        if (a.send_rst) net.push_back({to, Seg::Rst});
    };
    auto step = [&](int who, TcpEvent ev) {
        const TcpActions a = side[who].m.step(ev, now);
        check_side(side[who], a);
        emit(who, a);
    };
    auto deliver = [&](const Packet& p) {
        Side& s = side[p.to];
        switch (p.seg) {
            case Seg::Syn:
                if (p.to == 1 && !child_open && s.m.state() == TcpState::Closed) {
                    child_open = true;  // the listener spawns the child once
                    step(1, TcpEvent::ChildOpen);
                } else {
                    step(p.to, TcpEvent::RecvSyn);
                }
                break;
            case Seg::SynAck:
                s.heard_syn_ack = true;
                step(p.to, TcpEvent::RecvSynAck);
                break;
            case Seg::Ack:
                step(p.to, TcpEvent::RecvAck);
                break;
            case Seg::Fin:
                // A FIN acknowledges what its sender had received; the machine
                // distinguishes the two by whether ours was outstanding.
                step(p.to, s.m.local_closed() ? TcpEvent::RecvFinAck : TcpEvent::RecvFin);
                break;
            case Seg::Rst:
                step(p.to, TcpEvent::RecvRst);
                break;
        }
    };

    step(0, TcpEvent::ActiveOpen);
    for (std::size_t i = 0; i < size; ++i) {
        const std::uint8_t b = data[i];
        const int who = b & 1;
        switch ((b >> 1) % 8) {
            case 0:
            case 1:
            case 2:  // deliver: mostly in order, sometimes the k-th in flight
                if (!net.empty()) {
                    const std::size_t k = (b >> 4) % 4 == 0 ? (b >> 6) % net.size() : 0;
                    const Packet p = net[k];
                    net.erase(net.begin() + static_cast<std::ptrdiff_t>(k));
                    deliver(p);
                }
                break;
            case 3:  // drop
                if (!net.empty()) net.pop_front();
                break;
            case 4:  // duplicate
                if (!net.empty() && net.size() < 64) net.push_back(net.front());
                break;
            case 5:
                step(who, TcpEvent::Close);
                break;
            case 6:
                step(who, (b & 0x40) ? TcpEvent::Abort : TcpEvent::GiveUp);
                break;
            case 7: {  // time passes: 1..256 s
                now += std::chrono::seconds(1 + (b >> 4) * 16);
                for (int w = 0; w < 2; ++w) {
                    const TcpActions a = side[w].m.on_timer(now);
                    check_side(side[w], a);
                }
                break;
            }
        }
        if (side[0].m.state() == TcpState::Established) check(side[0].heard_syn_ack);
    }
    return 0;
}
