#include "qpysim/tcp_machine.hpp"

namespace qpysim {

const char* to_string(TcpState s) noexcept {
    switch (s) {
        case TcpState::Closed:
            return "CLOSED";
        case TcpState::Listen:
            return "LISTEN";
        case TcpState::SynSent:
            return "SYN-SENT";
        case TcpState::SynRcvd:
            return "SYN-RECEIVED";
        case TcpState::Established:
            return "ESTABLISHED";
        case TcpState::FinWait1:
            return "FIN-WAIT-1";
        case TcpState::FinWait2:
            return "FIN-WAIT-2";
        case TcpState::CloseWait:
            return "CLOSE-WAIT";
        case TcpState::Closing:
            return "CLOSING";
        case TcpState::LastAck:
            return "LAST-ACK";
        case TcpState::TimeWait:
            return "TIME-WAIT";
    }
    return "?";
}

const char* to_string(TcpEvent e) noexcept {
    switch (e) {
        case TcpEvent::ActiveOpen:
            return "active-open";
        case TcpEvent::PassiveOpen:
            return "passive-open";
        case TcpEvent::ChildOpen:
            return "child-open";
        case TcpEvent::RecvSyn:
            return "recv-syn";
        case TcpEvent::RecvSynAck:
            return "recv-syn-ack";
        case TcpEvent::RecvAck:
            return "recv-ack";
        case TcpEvent::RecvFin:
            return "recv-fin";
        case TcpEvent::RecvFinAck:
            return "recv-fin-ack";
        case TcpEvent::RecvRst:
            return "recv-rst";
        case TcpEvent::Close:
            return "close";
        case TcpEvent::Abort:
            return "abort";
        case TcpEvent::GiveUp:
            return "give-up";
    }
    return "?";
}

void TcpMachine::set_state(TcpState next) {
    if (next == state_) return;
    const TcpState prev = state_;
    state_ = next;
    if (next != TcpState::TimeWait) deadline_.reset();
    if (observer_) observer_(prev, next);
}

bool TcpMachine::is_open() const noexcept {
    return state_ != TcpState::Closed;
}

bool TcpMachine::is_connecting() const noexcept {
    return state_ == TcpState::SynSent || state_ == TcpState::SynRcvd;
}

bool TcpMachine::is_synchronized() const noexcept {
    switch (state_) {
        case TcpState::Established:
        case TcpState::FinWait1:
        case TcpState::FinWait2:
        case TcpState::CloseWait:
        case TcpState::Closing:
        case TcpState::LastAck:
            return true;
        default:
            return false;
    }
}

bool TcpMachine::may_send() const noexcept {
    return state_ == TcpState::Established || state_ == TcpState::CloseWait;
}

bool TcpMachine::may_recv() const noexcept {
    return state_ == TcpState::Established || state_ == TcpState::FinWait1 ||
           state_ == TcpState::FinWait2;
}

bool TcpMachine::local_closed() const noexcept {
    switch (state_) {
        case TcpState::Closed:
        case TcpState::FinWait1:
        case TcpState::FinWait2:
        case TcpState::Closing:
        case TcpState::LastAck:
        case TcpState::TimeWait:
            return true;
        default:
            return false;
    }
}

TcpActions TcpMachine::step(TcpEvent ev, DeviceTime now) {
    TcpActions a;
    const auto enter_time_wait = [&] {
        set_state(TcpState::TimeWait);
        deadline_ = now + timings_.time_wait;
    };
    const auto free_pcb = [&] {
        set_state(TcpState::Closed);
        a.freed = true;
    };

    switch (ev) {
        case TcpEvent::ActiveOpen:
            // connect(): only a fresh pcb may open; the Socket rejects the rest first.
            if (state_ == TcpState::Closed) {
                set_state(TcpState::SynSent);
                a.send_syn = true;
            }
            break;

        case TcpEvent::PassiveOpen:
            // listen(): lwIP turns the bound pcb into a listen pcb.
            if (state_ == TcpState::Closed) set_state(TcpState::Listen);
            break;

        case TcpEvent::ChildOpen:
            // A listener spawned this pcb for an incoming SYN; answer it.
            if (state_ == TcpState::Closed) {
                set_state(TcpState::SynRcvd);
                a.send_syn_ack = true;
            }
            break;

        case TcpEvent::RecvSyn:
            // Simultaneous open (RFC 9293 fig. 8); a listener's SYNs go to children.
            if (state_ == TcpState::SynSent) {
                set_state(TcpState::SynRcvd);
                a.send_syn_ack = true;
            }
            break;

        case TcpEvent::RecvSynAck:
            if (state_ == TcpState::SynSent || state_ == TcpState::SynRcvd) {
                // Our SYN is acknowledged: the handshake is complete.
                set_state(TcpState::Established);
                a.send_ack = true;
                a.connected = true;
            } else if (is_synchronized()) {
                // A retransmitted SYN-ACK: our ACK was lost; acknowledge again.
                a.send_ack = true;
            }
            break;

        case TcpEvent::RecvAck:
            switch (state_) {
                case TcpState::SynRcvd:
                    // Third leg of the handshake: the child becomes acceptable.
                    set_state(TcpState::Established);
                    a.connected = true;
                    break;
                case TcpState::FinWait1:
                    // Our FIN is acknowledged; the peer may still send.
                    set_state(TcpState::FinWait2);
                    break;
                case TcpState::Closing:
                    // Simultaneous close: both FINs now acknowledged.
                    enter_time_wait();
                    break;
                case TcpState::LastAck:
                    // Passive close complete: nothing lingers.
                    free_pcb();
                    break;
                default:
                    break;  // data ACKs carry nothing for the machine
            }
            break;

        case TcpEvent::RecvFinAck:
            if (state_ == TcpState::FinWait1) {
                // FIN and ACK of our FIN in one segment: skip FIN-WAIT-2.
                a.send_ack = true;
                a.peer_eof = true;
                enter_time_wait();
                break;
            }
            if (state_ == TcpState::Closing) {
                // Our FIN acknowledged while theirs was already in.
                enter_time_wait();
                break;
            }
            if (state_ == TcpState::LastAck) {
                free_pcb();
                break;
            }
            [[fallthrough]];  // elsewhere the ACK part carries nothing new

        case TcpEvent::RecvFin:
            switch (state_) {
                case TcpState::SynRcvd:
                    // FIN right after the handshake ACK: connected and half closed.
                    set_state(TcpState::CloseWait);
                    a.connected = true;
                    a.peer_eof = true;
                    a.send_ack = true;
                    break;
                case TcpState::Established:
                    // Passive close begins: the app sees end of stream.
                    set_state(TcpState::CloseWait);
                    a.peer_eof = true;
                    a.send_ack = true;
                    break;
                case TcpState::FinWait1:
                    // Simultaneous close: their FIN crossed ours.
                    set_state(TcpState::Closing);
                    a.peer_eof = true;
                    a.send_ack = true;
                    break;
                case TcpState::FinWait2:
                    // Active close complete; linger for 2*MSL.
                    a.peer_eof = true;
                    a.send_ack = true;
                    enter_time_wait();
                    break;
                case TcpState::TimeWait:
                    // A retransmitted FIN: our last ACK was lost; ACK and restart 2*MSL.
                    a.send_ack = true;
                    deadline_ = now + timings_.time_wait;
                    break;
                case TcpState::CloseWait:
                case TcpState::Closing:
                case TcpState::LastAck:
                    a.send_ack = true;  // duplicate FIN
                    break;
                default:
                    break;  // no connection to close
            }
            break;

        case TcpEvent::RecvRst:
            switch (state_) {
                case TcpState::Closed:
                case TcpState::Listen:
                    break;  // a listener ignores stray RSTs
                case TcpState::SynSent:
                    // Port closed at the far end. lwIP reports ERR_RST here too.
                    a.error = errc::conn_refused;
                    free_pcb();
                    break;
                case TcpState::SynRcvd:
                case TcpState::Established:
                case TcpState::FinWait1:
                case TcpState::FinWait2:
                case TcpState::CloseWait:
                    a.error = errc::conn_reset;
                    free_pcb();
                    break;
                case TcpState::Closing:
                case TcpState::LastAck:
                case TcpState::TimeWait:
                    free_pcb();  // the app already closed: nobody to tell
                    break;
            }
            break;

        case TcpEvent::Close:
            switch (state_) {
                case TcpState::Closed:
                case TcpState::Listen:
                case TcpState::SynSent:
                    // Nothing was synchronized: lwIP frees the pcb at once.
                    free_pcb();
                    break;
                case TcpState::SynRcvd:
                case TcpState::Established:
                    set_state(TcpState::FinWait1);
                    a.send_fin = true;
                    break;
                case TcpState::CloseWait:
                    set_state(TcpState::LastAck);
                    a.send_fin = true;
                    break;
                default:
                    break;  // already closing
            }
            break;

        case TcpEvent::Abort:
            // RST only where the peer holds state for us.
            a.send_rst = state_ == TcpState::SynRcvd || is_synchronized();
            free_pcb();
            break;

        case TcpEvent::GiveUp:
            // Retries or keepalives exhausted: lwIP aborts with ERR_ABRT.
            if (state_ != TcpState::Closed && state_ != TcpState::Listen &&
                state_ != TcpState::TimeWait) {
                a.error = errc::conn_aborted;
                free_pcb();
            }
            break;
    }
    return a;
}

TcpActions TcpMachine::on_timer(DeviceTime now) {
    TcpActions a;
    if (state_ == TcpState::TimeWait && deadline_ && now >= *deadline_) {
        // 2*MSL passed with no retransmitted FIN: the pcb is released.
        set_state(TcpState::Closed);
        a.freed = true;
    }
    return a;
}

}  // namespace qpysim
