#include "qpysim/tcp_machine.hpp"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace qpysim {
namespace {

constexpr DeviceTime t0 = 10s;

// Drives a machine into a named state through the events a real connection
// would see, recording every transition on the way.
class TcpFixture : public ::testing::Test {
  protected:
    TcpFixture() {
        m.set_observer([this](TcpState from, TcpState to) { log.emplace_back(from, to); });
    }

    TcpActions go(TcpEvent ev, DeviceTime now = t0) { return m.step(ev, now); }

    void to_established() {
        go(TcpEvent::ActiveOpen);
        go(TcpEvent::RecvSynAck);
    }
    void to_fin_wait_1() {
        to_established();
        go(TcpEvent::Close);
    }
    void to_fin_wait_2() {
        to_fin_wait_1();
        go(TcpEvent::RecvAck);
    }
    void to_close_wait() {
        to_established();
        go(TcpEvent::RecvFin);
    }
    void to_closing() {
        to_fin_wait_1();
        go(TcpEvent::RecvFin);
    }
    void to_last_ack() {
        to_close_wait();
        go(TcpEvent::Close);
    }
    void to_time_wait() {
        to_fin_wait_2();
        go(TcpEvent::RecvFin);
    }

    TcpMachine m{TcpTimings{120s}};
    std::vector<std::pair<TcpState, TcpState>> log;
};

// ---------------------------------------------------------------- numbering

TEST(tcp_numbers, match_lwip_and_getsocketsta) {
    EXPECT_EQ(TcpMachine().number(), 0);
    EXPECT_STREQ(to_string(TcpState::SynSent), "SYN-SENT");
    EXPECT_STREQ(to_string(TcpState::TimeWait), "TIME-WAIT");
    EXPECT_STREQ(to_string(TcpState::CloseWait), "CLOSE-WAIT");
}

// ---------------------------------------------------------------- CLOSED (0)

class tcp_closed : public TcpFixture {};

TEST_F(tcp_closed, active_open_sends_syn_and_enters_syn_sent) {
    const auto a = go(TcpEvent::ActiveOpen);
    EXPECT_TRUE(a.send_syn);
    EXPECT_EQ(m.state(), TcpState::SynSent);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], std::make_pair(TcpState::Closed, TcpState::SynSent));
}

TEST_F(tcp_closed, passive_open_listens_without_sending) {
    const auto a = go(TcpEvent::PassiveOpen);
    EXPECT_FALSE(a.send_syn);
    EXPECT_EQ(m.number(), 1);
}

TEST_F(tcp_closed, child_open_answers_with_syn_ack) {
    const auto a = go(TcpEvent::ChildOpen);
    EXPECT_TRUE(a.send_syn_ack);
    EXPECT_EQ(m.state(), TcpState::SynRcvd);
}

TEST_F(tcp_closed, close_frees_without_sending) {
    const auto a = go(TcpEvent::Close);
    EXPECT_TRUE(a.freed);
    EXPECT_FALSE(a.send_fin);
    EXPECT_TRUE(log.empty());
}

TEST_F(tcp_closed, segments_are_ignored) {
    for (auto ev : {TcpEvent::RecvSyn, TcpEvent::RecvSynAck, TcpEvent::RecvAck, TcpEvent::RecvFin,
                    TcpEvent::RecvRst, TcpEvent::GiveUp}) {
        const auto a = go(ev);
        EXPECT_EQ(m.state(), TcpState::Closed) << to_string(ev);
        EXPECT_EQ(a.error, errc::ok) << to_string(ev);
    }
}

TEST_F(tcp_closed, questions_say_nothing_is_open) {
    EXPECT_FALSE(m.is_open());
    EXPECT_FALSE(m.may_send());
    EXPECT_FALSE(m.may_recv());
    EXPECT_TRUE(m.local_closed());
}

// ---------------------------------------------------------------- LISTEN (1)

class tcp_listen : public TcpFixture {
  protected:
    void SetUp() override { go(TcpEvent::PassiveOpen); }
};

TEST_F(tcp_listen, stray_rst_is_ignored) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_EQ(m.state(), TcpState::Listen);
    EXPECT_EQ(a.error, errc::ok);
}

TEST_F(tcp_listen, syn_stays_listening_children_take_it) {
    go(TcpEvent::RecvSyn);
    EXPECT_EQ(m.state(), TcpState::Listen);
}

TEST_F(tcp_listen, close_frees_the_pcb) {
    const auto a = go(TcpEvent::Close);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(m.state(), TcpState::Closed);
}

TEST_F(tcp_listen, give_up_does_not_apply) {
    go(TcpEvent::GiveUp);
    EXPECT_EQ(m.state(), TcpState::Listen);
}

// ---------------------------------------------------------------- SYN-SENT (2)

class tcp_syn_sent : public TcpFixture {
  protected:
    void SetUp() override { go(TcpEvent::ActiveOpen); }
};

TEST_F(tcp_syn_sent, syn_ack_establishes_and_acks) {
    const auto a = go(TcpEvent::RecvSynAck);
    EXPECT_TRUE(a.connected);
    EXPECT_TRUE(a.send_ack);
    EXPECT_EQ(m.number(), 4);
}

TEST_F(tcp_syn_sent, rst_means_refused_and_frees) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_EQ(a.error, errc::conn_refused);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(m.state(), TcpState::Closed);
}

TEST_F(tcp_syn_sent, simultaneous_open_goes_to_syn_received) {
    const auto a = go(TcpEvent::RecvSyn);
    EXPECT_TRUE(a.send_syn_ack);
    EXPECT_EQ(m.state(), TcpState::SynRcvd);
    const auto b = go(TcpEvent::RecvSynAck);
    EXPECT_TRUE(b.connected);
    EXPECT_EQ(m.state(), TcpState::Established);
}

TEST_F(tcp_syn_sent, close_frees_silently) {
    const auto a = go(TcpEvent::Close);
    EXPECT_TRUE(a.freed);
    EXPECT_FALSE(a.send_fin);
    EXPECT_FALSE(a.send_rst);
}

TEST_F(tcp_syn_sent, give_up_aborts_the_connect) {
    const auto a = go(TcpEvent::GiveUp);
    EXPECT_EQ(a.error, errc::conn_aborted);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_syn_sent, abort_sends_no_rst_before_synchronizing) {
    const auto a = go(TcpEvent::Abort);
    EXPECT_FALSE(a.send_rst);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_syn_sent, fin_before_handshake_is_ignored) {
    go(TcpEvent::RecvFin);
    EXPECT_EQ(m.state(), TcpState::SynSent);
}

TEST_F(tcp_syn_sent, is_connecting_and_cannot_send) {
    EXPECT_TRUE(m.is_connecting());
    EXPECT_FALSE(m.may_send());
}

// ---------------------------------------------------------------- SYN-RECEIVED (3)

class tcp_syn_rcvd : public TcpFixture {
  protected:
    void SetUp() override { go(TcpEvent::ChildOpen); }
};

TEST_F(tcp_syn_rcvd, ack_completes_the_handshake) {
    const auto a = go(TcpEvent::RecvAck);
    EXPECT_TRUE(a.connected);
    EXPECT_EQ(m.state(), TcpState::Established);
}

TEST_F(tcp_syn_rcvd, rst_frees_with_reset) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_EQ(a.error, errc::conn_reset);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_syn_rcvd, fin_connects_and_half_closes) {
    const auto a = go(TcpEvent::RecvFin);
    EXPECT_TRUE(a.connected);
    EXPECT_TRUE(a.peer_eof);
    EXPECT_EQ(m.state(), TcpState::CloseWait);
}

TEST_F(tcp_syn_rcvd, close_sends_fin) {
    const auto a = go(TcpEvent::Close);
    EXPECT_TRUE(a.send_fin);
    EXPECT_EQ(m.state(), TcpState::FinWait1);
}

TEST_F(tcp_syn_rcvd, abort_resets_the_peer) {
    const auto a = go(TcpEvent::Abort);
    EXPECT_TRUE(a.send_rst);
    EXPECT_TRUE(a.freed);
}

// ---------------------------------------------------------------- ESTABLISHED (4)

class tcp_established : public TcpFixture {
  protected:
    void SetUp() override { to_established(); }
};

TEST_F(tcp_established, may_send_and_receive) {
    EXPECT_TRUE(m.may_send());
    EXPECT_TRUE(m.may_recv());
    EXPECT_TRUE(m.is_synchronized());
}

TEST_F(tcp_established, close_sends_fin_and_enters_fin_wait_1) {
    const auto a = go(TcpEvent::Close);
    EXPECT_TRUE(a.send_fin);
    EXPECT_EQ(m.number(), 5);
}

TEST_F(tcp_established, fin_means_end_of_stream_and_close_wait) {
    const auto a = go(TcpEvent::RecvFin);
    EXPECT_TRUE(a.peer_eof);
    EXPECT_TRUE(a.send_ack);
    EXPECT_EQ(m.number(), 7);
}

TEST_F(tcp_established, fin_ack_is_an_ordinary_fin_here) {
    go(TcpEvent::RecvFinAck);
    EXPECT_EQ(m.state(), TcpState::CloseWait);
}

TEST_F(tcp_established, rst_is_a_reset) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_EQ(a.error, errc::conn_reset);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(m.number(), 0);
}

TEST_F(tcp_established, abort_sends_rst) {
    const auto a = go(TcpEvent::Abort);
    EXPECT_TRUE(a.send_rst);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_established, give_up_aborts) {
    const auto a = go(TcpEvent::GiveUp);
    EXPECT_EQ(a.error, errc::conn_aborted);
}

TEST_F(tcp_established, retransmitted_syn_ack_is_acked_again) {
    const auto a = go(TcpEvent::RecvSynAck);
    EXPECT_TRUE(a.send_ack);
    EXPECT_FALSE(a.connected);
    EXPECT_EQ(m.state(), TcpState::Established);
}

TEST_F(tcp_established, plain_ack_changes_nothing) {
    go(TcpEvent::RecvAck);
    EXPECT_EQ(m.state(), TcpState::Established);
}

// ---------------------------------------------------------------- FIN-WAIT-1 (5)

class tcp_fin_wait_1 : public TcpFixture {
  protected:
    void SetUp() override { to_fin_wait_1(); }
};

TEST_F(tcp_fin_wait_1, ack_of_fin_goes_to_fin_wait_2) {
    go(TcpEvent::RecvAck);
    EXPECT_EQ(m.number(), 6);
}

TEST_F(tcp_fin_wait_1, crossing_fin_is_simultaneous_close) {
    const auto a = go(TcpEvent::RecvFin);
    EXPECT_TRUE(a.send_ack);
    EXPECT_TRUE(a.peer_eof);
    EXPECT_EQ(m.number(), 8);
}

TEST_F(tcp_fin_wait_1, fin_with_ack_skips_to_time_wait) {
    const auto a = go(TcpEvent::RecvFinAck);
    EXPECT_TRUE(a.send_ack);
    EXPECT_EQ(m.number(), 10);
    EXPECT_EQ(m.next_deadline(), t0 + 120s);
}

TEST_F(tcp_fin_wait_1, rst_frees_and_reports_reset) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_EQ(a.error, errc::conn_reset);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_fin_wait_1, may_still_receive_not_send) {
    EXPECT_FALSE(m.may_send());
    EXPECT_TRUE(m.may_recv());
    EXPECT_TRUE(m.local_closed());
}

TEST_F(tcp_fin_wait_1, second_close_is_a_no_op) {
    const auto a = go(TcpEvent::Close);
    EXPECT_FALSE(a.send_fin);
    EXPECT_EQ(m.state(), TcpState::FinWait1);
}

// ---------------------------------------------------------------- FIN-WAIT-2 (6)

class tcp_fin_wait_2 : public TcpFixture {
  protected:
    void SetUp() override { to_fin_wait_2(); }
};

TEST_F(tcp_fin_wait_2, fin_enters_time_wait_for_two_msl) {
    const auto a = go(TcpEvent::RecvFin, t0 + 1s);
    EXPECT_TRUE(a.send_ack);
    EXPECT_TRUE(a.peer_eof);
    EXPECT_EQ(m.number(), 10);
    EXPECT_EQ(m.next_deadline(), t0 + 1s + 120s);
}

TEST_F(tcp_fin_wait_2, rst_frees) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(a.error, errc::conn_reset);
}

TEST_F(tcp_fin_wait_2, give_up_aborts) {
    const auto a = go(TcpEvent::GiveUp);
    EXPECT_TRUE(a.freed);
}

// ---------------------------------------------------------------- CLOSE-WAIT (7)

class tcp_close_wait : public TcpFixture {
  protected:
    void SetUp() override { to_close_wait(); }
};

TEST_F(tcp_close_wait, may_send_but_not_receive) {
    EXPECT_TRUE(m.may_send());
    EXPECT_FALSE(m.may_recv());
}

TEST_F(tcp_close_wait, close_sends_fin_and_enters_last_ack) {
    const auto a = go(TcpEvent::Close);
    EXPECT_TRUE(a.send_fin);
    EXPECT_EQ(m.number(), 9);
}

TEST_F(tcp_close_wait, duplicate_fin_is_acked) {
    const auto a = go(TcpEvent::RecvFin);
    EXPECT_TRUE(a.send_ack);
    EXPECT_EQ(m.state(), TcpState::CloseWait);
}

TEST_F(tcp_close_wait, rst_is_reset) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_EQ(a.error, errc::conn_reset);
}

// ---------------------------------------------------------------- CLOSING (8)

class tcp_closing : public TcpFixture {
  protected:
    void SetUp() override { to_closing(); }
};

TEST_F(tcp_closing, ack_of_fin_enters_time_wait) {
    go(TcpEvent::RecvAck, t0 + 2s);
    EXPECT_EQ(m.number(), 10);
    EXPECT_EQ(m.next_deadline(), t0 + 2s + 120s);
}

TEST_F(tcp_closing, fin_ack_also_enters_time_wait) {
    go(TcpEvent::RecvFinAck);
    EXPECT_EQ(m.state(), TcpState::TimeWait);
}

TEST_F(tcp_closing, rst_frees_quietly) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(a.error, errc::ok);
}

TEST_F(tcp_closing, simultaneous_close_walks_the_rfc_path) {
    // Both ends closed at once: 4 -> 5 -> 8 -> 10 -> 0.
    go(TcpEvent::RecvAck);
    m.on_timer(t0 + 120s);
    std::vector<int> path{static_cast<int>(log.front().first)};
    for (const auto& [from, to] : log)
        path.push_back(static_cast<int>(to));
    EXPECT_EQ(path, (std::vector<int>{0, 2, 4, 5, 8, 10, 0}));
}

// ---------------------------------------------------------------- LAST-ACK (9)

class tcp_last_ack : public TcpFixture {
  protected:
    void SetUp() override { to_last_ack(); }
};

TEST_F(tcp_last_ack, ack_of_fin_frees_without_time_wait) {
    const auto a = go(TcpEvent::RecvAck);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(m.number(), 0);
    EXPECT_FALSE(m.next_deadline());
}

TEST_F(tcp_last_ack, fin_ack_frees_too) {
    const auto a = go(TcpEvent::RecvFinAck);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_last_ack, rst_frees_quietly) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(a.error, errc::ok);
}

TEST_F(tcp_last_ack, retransmitted_fin_is_acked) {
    const auto a = go(TcpEvent::RecvFin);
    EXPECT_TRUE(a.send_ack);
    EXPECT_EQ(m.state(), TcpState::LastAck);
}

// ---------------------------------------------------------------- TIME-WAIT (10)

class tcp_time_wait : public TcpFixture {
  protected:
    void SetUp() override { to_time_wait(); }
};

TEST_F(tcp_time_wait, expires_after_two_msl) {
    EXPECT_FALSE(m.on_timer(t0 + 119s).freed);
    EXPECT_EQ(m.state(), TcpState::TimeWait);
    const auto a = m.on_timer(t0 + 120s);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(m.number(), 0);
    EXPECT_FALSE(m.next_deadline());
}

TEST_F(tcp_time_wait, retransmitted_fin_restarts_the_timer) {
    const auto a = go(TcpEvent::RecvFin, t0 + 60s);
    EXPECT_TRUE(a.send_ack);
    EXPECT_EQ(m.next_deadline(), t0 + 60s + 120s);
    EXPECT_FALSE(m.on_timer(t0 + 120s).freed);
    EXPECT_TRUE(m.on_timer(t0 + 180s).freed);
}

TEST_F(tcp_time_wait, rst_frees_early) {
    const auto a = go(TcpEvent::RecvRst);
    EXPECT_TRUE(a.freed);
    EXPECT_EQ(a.error, errc::ok);
}

TEST_F(tcp_time_wait, abort_frees_without_rst) {
    const auto a = go(TcpEvent::Abort);
    EXPECT_FALSE(a.send_rst);
    EXPECT_TRUE(a.freed);
}

TEST_F(tcp_time_wait, give_up_does_not_apply) {
    go(TcpEvent::GiveUp);
    EXPECT_EQ(m.state(), TcpState::TimeWait);
}

TEST_F(tcp_time_wait, active_close_walks_the_rfc_path) {
    m.on_timer(t0 + 120s);
    std::vector<int> path{0};
    for (const auto& [from, to] : log)
        path.push_back(static_cast<int>(to));
    EXPECT_EQ(path, (std::vector<int>{0, 2, 4, 5, 6, 10, 0}));
}

}  // namespace
}  // namespace qpysim
