#include "qpysim/link.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "qpysim/faults.hpp"

namespace qpysim {
namespace {

// An end that records what reaches it, and when.
class Recorder final : public SegmentSink {
  public:
    explicit Recorder(Scheduler& s) : sched(s) {}
    void on_segment(const std::shared_ptr<Connection>&, Segment s) override {
        got.push_back({s.kind, s.data.str(), sched.now(), s.ack_fin});
    }
    void on_give_up() override { gave_up_at = sched.now(); }
    struct Got {
        Segment::Kind kind;
        std::string data;
        DeviceTime at;
        bool ack_fin;
    };
    Scheduler& sched;
    std::vector<Got> got;
    std::optional<DeviceTime> gave_up_at;
};

class Host final : public LinkHost {
  public:
    FaultSet faults{1};
    FaultSet* link_faults() noexcept override { return &faults; }
    bool link_tracing() const noexcept override { return false; }
    void link_trace(TraceEvent) override {}
    void add(const std::string& kind, FaultSettings s = {}, DeviceTime at = 0s) {
        FaultSpec f;
        f.kind = kind;
        f.settings = std::move(s);
        auto e = make_effect(f);
        faults.add(std::move(f), std::move(e), at);
    }
};

class LinkTest : public ::testing::Test {
  protected:
    Scheduler sched{ClockMode::virtual_time};
    Host host;
    std::shared_ptr<Recorder> dev = std::make_shared<Recorder>(sched);
    std::shared_ptr<Recorder> peer = std::make_shared<Recorder>(sched);
    std::shared_ptr<Connection> conn = std::make_shared<Connection>(sched, 1, &host, Side::a);
    CoreLock lk{sched};

    void SetUp() override {
        conn->attach(Side::a, dev);
        conn->attach(Side::b, peer);
        sched.attach_current(lk, "test");
    }
    void TearDown() override { sched.leave(lk); }
    void run_until(DeviceTime t) { sched.sleep_until(lk, t); }
};

TEST_F(LinkTest, with_no_faults_segments_arrive_at_once_in_order) {
    conn->send(Side::a, Segment::payload(Bytes("one")));
    conn->send(Side::a, Segment::payload(Bytes("two")));
    run_until(1ms);
    ASSERT_EQ(peer->got.size(), 2u);
    EXPECT_EQ(peer->got[0].data, "one");
    EXPECT_EQ(peer->got[1].data, "two");
    EXPECT_EQ(peer->got[1].at, 0s);
}

TEST_F(LinkTest, a_lost_segment_holds_what_follows_and_is_retransmitted) {
    host.add("loss", {{"rate", "1"}});
    conn->send(Side::a, Segment::payload(Bytes("a")));
    conn->send(Side::a, Segment::payload(Bytes("b")));
    run_until(2500ms);  // lost at 0, 1 s (RTO 1 s) and 3 s (RTO 2 s) pending
    EXPECT_TRUE(peer->got.empty());
    host.faults.remove(1);
    run_until(4s);
    ASSERT_EQ(peer->got.size(), 2u);
    EXPECT_EQ(peer->got[0].data, "a");
    EXPECT_EQ(peer->got[0].at, 3s);
    EXPECT_EQ(peer->got[1].data, "b");
}

TEST_F(LinkTest, the_sender_gives_up_after_twelve_retransmissions) {
    host.add("loss", {{"rate", "1"}});
    conn->send(Side::a, Segment::payload(Bytes("x")));
    run_until(600s);
    // 1+2+4+8+16+32 s, then six more at 64 s, then the last 64 s wait.
    ASSERT_TRUE(dev->gave_up_at);
    EXPECT_EQ(*dev->gave_up_at, 511s);
    EXPECT_FALSE(peer->gave_up_at);
}

TEST_F(LinkTest, a_lost_ack_never_makes_anyone_give_up) {
    host.add("loss", {{"rate", "1"}});
    conn->send(Side::a, Segment::ack(1000));
    run_until(2000s);
    EXPECT_FALSE(dev->gave_up_at);
    EXPECT_TRUE(peer->got.empty());
}

TEST_F(LinkTest, refuse_answers_a_syn_with_rst_from_the_far_side) {
    host.add("refuse");
    conn->send(Side::a, Segment::syn(100));
    run_until(1s);
    EXPECT_TRUE(peer->got.empty());
    ASSERT_EQ(dev->got.size(), 1u);
    EXPECT_EQ(dev->got[0].kind, Segment::Kind::Rst);
}

TEST_F(LinkTest, reset_delivers_rst_to_both_ends_and_silences_the_connection) {
    host.add("reset_peer", {{"after_bytes", "2"}});
    conn->send(Side::b, Segment::payload(Bytes("hello")));
    run_until(1s);
    ASSERT_EQ(dev->got.size(), 2u);
    EXPECT_EQ(dev->got[0].data, "he");
    EXPECT_EQ(dev->got[1].kind, Segment::Kind::Rst);
    ASSERT_EQ(peer->got.size(), 1u);
    EXPECT_EQ(peer->got[0].kind, Segment::Kind::Rst);
    conn->send(Side::a, Segment::payload(Bytes("late")));
    run_until(2s);
    EXPECT_EQ(peer->got.size(), 1u);
}

TEST_F(LinkTest, a_closed_connection_answers_like_a_closed_proxy) {
    host.add("limit_data", {{"bytes", "3"}});
    conn->send(Side::a, Segment::fin());  // the device's FIN passes first
    conn->send(Side::b, Segment::payload(Bytes("abcdef")));
    run_until(1s);
    ASSERT_EQ(dev->got.size(), 2u);
    EXPECT_EQ(dev->got[0].data, "abc");
    EXPECT_EQ(dev->got[1].kind, Segment::Kind::Fin);
    EXPECT_TRUE(dev->got[1].ack_fin);  // it acknowledges the device's FIN
    ASSERT_EQ(peer->got.size(), 2u);   // the device's FIN, then the proxy's
    EXPECT_EQ(peer->got[1].kind, Segment::Kind::Fin);
    EXPECT_FALSE(peer->got[1].ack_fin);
    conn->send(Side::b, Segment::fin());
    conn->send(Side::a, Segment::payload(Bytes("more")));
    run_until(2s);
    EXPECT_EQ(peer->got.back().kind, Segment::Kind::Ack);
    EXPECT_TRUE(peer->got.back().ack_fin);
    EXPECT_EQ(dev->got.back().kind, Segment::Kind::Rst);
}

TEST_F(LinkTest, keepalive_probes_are_answered_by_the_connection_for_a_live_end) {
    conn->send(Side::a, Segment::probe());
    run_until(1s);
    EXPECT_TRUE(peer->got.empty());  // the end's stack answered, not the application
    ASSERT_EQ(dev->got.size(), 1u);
    EXPECT_EQ(dev->got[0].kind, Segment::Kind::ProbeAck);
}

TEST_F(LinkTest, slicer_splits_data_into_pieces_a_gap_apart) {
    host.add("slicer", {{"size", "2"}, {"delay", "10ms"}});
    conn->send(Side::a, Segment::payload(Bytes("abcde")));
    run_until(1s);
    ASSERT_EQ(peer->got.size(), 3u);
    EXPECT_EQ(peer->got[0].data, "ab");
    EXPECT_EQ(peer->got[2].data, "e");
    EXPECT_EQ(peer->got[2].at, 20ms);
}

}  // namespace
}  // namespace qpysim
