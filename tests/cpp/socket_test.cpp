#include "qpysim/socket.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "qpysim/modem.hpp"

namespace qpysim {
namespace {

// A module in virtual time with no host network: device sockets talk to each
// other through the module's own address, and device time is exact.
class VirtualModem : public ::testing::Test {
  protected:
    static ModemConfig config() {
        ModemConfig c;
        c.clock = ClockMode::virtual_time;
        c.host_network = false;
        c.trace_in_memory = true;
        return c;
    }

    void SetUp() override { m.attach_thread("test"); }
    void TearDown() override { m.detach_thread(); }

    std::string ip() {
        auto lk = m.lock();
        return m.device_ip(false)->to_string();
    }
    DeviceTime now() { return m.sched().now(); }

    // A connected pair: client (device) and the server's accepted child.
    struct Pair {
        std::shared_ptr<Socket> listener, client, server;
    };
    Pair connected_pair(int port = 8080) {
        Pair p;
        p.listener = m.open_socket(2, 1, 7);
        p.listener->bind("", port);
        p.listener->listen(2);
        p.client = m.open_socket(2, 1, 0);
        p.client->connect(ip(), port);
        p.server = p.listener->accept().socket;
        return p;
    }

    static errc error_of(const std::function<void()>& f) {
        try {
            f();
        } catch (const Error& e) {
            return e.code_value();
        }
        return errc::ok;
    }

    Modem m{config()};
};

TEST_F(VirtualModem, connect_accept_and_exchange_data) {
    auto p = connected_pair();
    EXPECT_EQ(p.client->tcp_state(), 4);
    EXPECT_EQ(p.server->tcp_state(), 4);
    EXPECT_EQ(p.client->send("ping"), 4u);
    EXPECT_EQ(p.server->recv(100).str(), "ping");
    EXPECT_EQ(p.server->send("pong"), 4u);
    EXPECT_EQ(p.client->recv(2).str(), "po");
    EXPECT_EQ(p.client->recv(100).str(), "ng");
}

TEST_F(VirtualModem, fds_are_table_slots_from_the_profile_base) {
    auto p = connected_pair();
    EXPECT_EQ(p.listener->fileno(), 0);
    EXPECT_EQ(p.client->fileno(), 1);
    EXPECT_EQ(p.server->fileno(), 2);
    EXPECT_EQ(m.open_sockets(), 3);
}

TEST_F(VirtualModem, active_close_walks_fin_wait_into_time_wait_for_two_msl) {
    auto p = connected_pair();
    p.client->close();
    EXPECT_EQ(p.client->tcp_state(), -1);                  // the script sees -1 at once...
    EXPECT_EQ(p.client->raw_state(), TcpState::FinWait2);  // ...the pcb lingers
    // The FIN: the read that meets it raises ENOTCONN (QuecPython), then b''.
    EXPECT_EQ(error_of([&] { p.server->recv(10); }), errc::not_connected);
    EXPECT_EQ(p.server->recv(10).str(), "");
    EXPECT_EQ(p.server->tcp_state(), 7);  // CLOSE_WAIT
    p.server->close();
    EXPECT_EQ(p.client->raw_state(), TcpState::TimeWait);
    const DeviceTime closed_at = now();
    m.sleep(119s);
    EXPECT_EQ(p.client->raw_state(), TcpState::TimeWait);
    m.sleep(1s);
    EXPECT_EQ(p.client->raw_state(), TcpState::Closed);
    EXPECT_EQ(now() - closed_at, 120s);
}

TEST_F(VirtualModem, passive_close_goes_through_close_wait_and_last_ack) {
    auto p = connected_pair();
    p.server->close();                    // the server closes first: the client is the passive side
    EXPECT_EQ(p.client->tcp_state(), 7);  // CLOSE_WAIT
    EXPECT_EQ(p.server->raw_state(), TcpState::FinWait2);
    p.client->close();  // LAST_ACK, then CLOSED once our FIN is acknowledged
    EXPECT_EQ(p.client->raw_state(), TcpState::Closed);
    EXPECT_EQ(p.server->raw_state(), TcpState::TimeWait);
    std::vector<std::string> client_path;
    for (const auto& l : m.trace().lines()) {
        const auto at = l.find("\"names\":\"");
        if (l.find("\"tcp_state\"") != std::string::npos &&
            l.find("\"sock\":" + std::to_string(p.client->id()) + ",") != std::string::npos) {
            client_path.push_back(l.substr(at + 9, l.find('"', at + 9) - at - 9));
        }
    }
    EXPECT_EQ(client_path, (std::vector<std::string>{"CLOSED=>SYN-SENT", "SYN-SENT=>ESTABLISHED",
                                                     "ESTABLISHED=>CLOSE-WAIT",
                                                     "CLOSE-WAIT=>LAST-ACK", "LAST-ACK=>CLOSED"}));
}

TEST_F(VirtualModem, refused_connect_is_conn_refused) {
    auto c = m.open_socket(2, 1, 0);
    EXPECT_EQ(error_of([&] { c->connect(ip(), 9); }), errc::conn_refused);
    EXPECT_EQ(c->tcp_state(), 0);
}

TEST_F(VirtualModem, unanswered_syn_gives_up_after_six_retries) {
    auto c = m.open_socket(2, 1, 0);
    const DeviceTime t0 = now();
    EXPECT_EQ(error_of([&] { c->connect("192.0.2.1", 80); }), errc::conn_aborted);
    EXPECT_EQ(now() - t0, 18500ms);  // lwIP: 6 x 3 s retransmissions, then a 500 ms tick
}

TEST_F(VirtualModem, select_window_connect_times_out_and_keeps_trying) {
    auto c = m.open_socket(2, 1, 0);
    c->settimeout(5s);
    const DeviceTime t0 = now();
    EXPECT_EQ(error_of([&] { c->connect("192.0.2.1", 80); }), errc::timed_out);
    EXPECT_EQ(now() - t0, 5s);
    EXPECT_EQ(c->tcp_state(), 2);  // still SYN-SENT
}

TEST_F(VirtualModem, a_timeout_of_25s_or_more_is_a_plain_blocking_connect) {
    auto c = m.open_socket(2, 1, 0);
    c->settimeout(30s);
    const DeviceTime t0 = now();
    EXPECT_EQ(error_of([&] { c->connect("192.0.2.1", 80); }), errc::conn_aborted);
    EXPECT_EQ(now() - t0, 18500ms);
}

TEST_F(VirtualModem, a_timeout_under_one_second_counts_as_zero_seconds) {
    auto c = m.open_socket(2, 1, 0);
    c->settimeout(500ms);  // int(0.5) == 0: the firmware does a plain connect
    EXPECT_EQ(error_of([&] { c->connect("192.0.2.1", 80); }), errc::conn_aborted);
}

TEST_F(VirtualModem, recv_timeout_is_counted_in_100ms_polls) {
    auto p = connected_pair();
    p.client->settimeout(350ms);
    DeviceTime t0 = now();
    EXPECT_EQ(error_of([&] { p.client->recv(10); }), errc::timed_out);
    EXPECT_EQ(now() - t0, 300ms);
    p.client->settimeout(50ms);
    t0 = now();
    EXPECT_EQ(error_of([&] { p.client->recv(10); }), errc::would_block);
    EXPECT_EQ(now() - t0, 100ms);
}

TEST_F(VirtualModem, data_waiting_in_a_blocked_recv_arrives_at_the_right_time) {
    auto p = connected_pair();
    // A second device thread sends 2 s of device time from now.
    Participant* sender = nullptr;
    {
        auto lk = m.lock();
        sender = m.sched().spawn("sender");
    }
    std::thread t([&] {
        {
            auto lk = m.lock();
            m.sched().enter(lk, sender);
        }
        m.sleep(2s);
        p.server->send("late");
        m.detach_thread();
    });
    const DeviceTime t0 = now();
    EXPECT_EQ(p.client->recv(10).str(), "late");
    EXPECT_EQ(now() - t0, 2s);
    t.join();
}

TEST_F(VirtualModem, receive_window_applies_back_pressure_not_loss) {
    auto p = connected_pair();
    p.client->settimeout(0s);
    const std::string block(16 * 1024, 'x');
    std::size_t sent = 0;
    for (int i = 0; i < 64; ++i) {
        if (error_of([&] { sent += p.client->send(block); }) == errc::would_block) break;
    }
    // The server's window plus the client's send buffer, no more.
    const auto& prof = m.profile();
    EXPECT_EQ(sent, prof.rcvbuf + prof.sndbuf);
    std::size_t got = 0;
    p.server->settimeout(0s);
    while (got < sent)
        got += p.server->recv(65536).size();
    EXPECT_EQ(got, sent);
}

TEST_F(VirtualModem, closing_with_unread_data_resets_the_peer) {
    auto p = connected_pair();
    p.client->send("unread");
    p.server->wait_events(poll_in, std::nullopt);
    p.server->close();
    EXPECT_EQ(error_of([&] { p.client->recv(10); }), errc::conn_reset);
    EXPECT_EQ(p.client->tcp_state(), 0);
}

TEST_F(VirtualModem, table_full_is_reported_and_freed_slots_are_reused) {
    std::vector<std::shared_ptr<Socket>> socks;
    for (int i = 0; i < m.profile().socket_limit; ++i)
        socks.push_back(m.open_socket(2, 1, 0));
    EXPECT_EQ(error_of([&] { m.open_socket(2, 1, 0); }), errc::table_full);
    socks[3]->close();
    EXPECT_EQ(m.open_socket(2, 1, 0)->fileno(), 3);
}

TEST_F(VirtualModem, udp_between_device_sockets) {
    auto a = m.open_socket(2, 2, 0);
    auto b = m.open_socket(2, 2, 0);
    b->bind("", 5000);
    EXPECT_EQ(a->sendto("hi", ip(), 5000), 2u);
    Endpoint from;
    EXPECT_EQ(b->recvfrom(10, from).str(), "hi");
    EXPECT_EQ(from.ip_string(), ip());
}

TEST_F(VirtualModem, trace_records_states_with_lwip_numbers) {
    auto p = connected_pair();
    p.client->close();
    bool saw = false;
    for (const auto& l : m.trace().lines()) {
        if (l.find("\"state\":\"4=>5\"") != std::string::npos &&
            l.find("\"names\":\"ESTABLISHED=>FIN-WAIT-1\"") != std::string::npos) {
            saw = true;
        }
    }
    EXPECT_TRUE(saw);
}

TEST_F(VirtualModem, blocked_recv_with_nothing_to_wake_it_halts_as_a_deadlock) {
    auto p = connected_pair();
    EXPECT_THROW(p.client->recv(10), Halted);
}

}  // namespace
}  // namespace qpysim
