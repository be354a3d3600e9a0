#include "qpysim/faults.hpp"

#include <set>

#include <gtest/gtest.h>

#include "qpysim/error.hpp"

namespace qpysim {
namespace {

std::string error_of(const FaultSpec& spec) {
    try {
        make_effect(spec);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

FaultSpec spec(const std::string& kind, FaultSettings settings = {}) {
    FaultSpec f;
    f.kind = kind;
    f.settings = std::move(settings);
    return f;
}

// Decide one crossing on a fresh connection (or the given flows).
Crossing cross(FaultSet& set, std::map<std::uint64_t, FaultFlow>& flows, Direction dir,
               Segment::Kind kind, std::size_t bytes, DeviceTime now, LinkInfo link = {}) {
    Crossing c;
    c.dir = dir;
    c.kind = kind;
    c.bytes = bytes;
    c.now = now;
    c.arrival = now;
    set.decide(link, flows, c);
    return c;
}

// ---------------------------------------------------------------- settings

TEST(fault_settings, rates_sizes_and_numbers_read_their_units) {
    EXPECT_DOUBLE_EQ(*parse_rate("256kbit"), 32000.0);
    EXPECT_DOUBLE_EQ(*parse_rate("1Mbit"), 125000.0);
    EXPECT_DOUBLE_EQ(*parse_rate("32KB/s"), 32000.0);
    EXPECT_DOUBLE_EQ(*parse_rate("9600bit"), 1200.0);
    EXPECT_FALSE(parse_rate("fast"));
    EXPECT_FALSE(parse_rate("0kbit"));
    EXPECT_FALSE(parse_rate("-1kbit"));
    EXPECT_DOUBLE_EQ(*parse_bytes("1460"), 1460.0);
    EXPECT_DOUBLE_EQ(*parse_bytes("64KiB"), 65536.0);
    EXPECT_DOUBLE_EQ(*parse_bytes("1.5MB"), 1.5e6);
    EXPECT_FALSE(parse_bytes("12 apples"));
    EXPECT_DOUBLE_EQ(setting_number({{"rate", "5%"}}, "rate", 0, 0, 1), 0.05);
    EXPECT_THROW(setting_number({{"rate", "1.5"}}, "rate", 0, 0, 1), UsageError);
}

TEST(fault_settings, every_bad_setting_names_the_fault_and_the_key) {
    EXPECT_EQ(error_of(spec("latency", {{"latency", "soon"}})),
              "fault 'latency' (latency): latency must be a duration like 250ms, 1.5s or 5m, "
              "got 'soon'");
    EXPECT_EQ(error_of(spec("bandwidth")),
              "fault 'bandwidth' (bandwidth): rate is required (a rate like 256kbit, 1Mbit or "
              "32KB/s)");
    EXPECT_EQ(error_of(spec("loss", {{"rat", "1"}})),
              "fault 'loss' (loss): unknown setting 'rat' (it takes rate)");
    EXPECT_EQ(error_of(spec("refuse", {{"x", "1"}})),
              "fault 'refuse' (refuse): unknown setting 'x' (it takes none)");
    EXPECT_EQ(error_of(spec("nat_idle", {{"action", "explode"}})),
              "fault 'nat_idle' (nat_idle): action must be one of drop, reset, got 'explode'");
    EXPECT_EQ(error_of(spec("slicer", {{"size", "10"}, {"variation", "10"}})),
              "fault 'slicer' (slicer): variation must be smaller than size");
    EXPECT_EQ(error_of(spec("sockets")), "fault 'sockets' (sockets): limit is required");
    EXPECT_EQ(error_of(spec("signal", {{"csq", "40"}})),
              "fault 'signal' (signal): csq must be 0..31 or 99");
    EXPECT_NE(error_of(spec("teleport")).find("unknown fault 'teleport' (known faults: latency"),
              std::string::npos);
    FaultSpec r = spec("reboot");
    r.duration = 5s;
    EXPECT_EQ(error_of(r),
              "fault 'reboot' (reboot): happens at once; it has no duration to lift after");
    FaultSpec d = spec("pdp_down");
    d.direction = Direction::up;
    EXPECT_EQ(error_of(d),
              "fault 'pdp_down' (pdp_down): direction applies to link and service faults only");
}

TEST(fault_registry, every_kind_is_documented) {
    std::set<std::string> names;
    for (const auto& k : builtin_faults().kinds()) {
        EXPECT_TRUE(names.insert(k.name).second) << k.name;
        EXPECT_FALSE(k.summary.empty()) << k.name;
        for (const auto& [key, doc] : k.settings)
            EXPECT_FALSE(doc.empty()) << k.name << "." << key;
    }
    for (const char* n : {
             "latency",    "bandwidth",     "loss",         "slicer",      "limit_data",
             "reset_peer", "blackhole",     "refuse",       "slow_close",  "half_open",
             "nat_idle",   "dns_nxdomain",  "dns_servfail", "dns_timeout", "dns_slow",
             "dns_wrong",  "coverage_loss", "registration", "signal",      "sim",
             "pdp_down",   "airplane",      "reboot",       "sockets",     "sndbuf",
             "rcvbuf",     "pin",           "uart_overrun", "i2c_nack",    "adc",
             "vbatt",
         }) {
        EXPECT_TRUE(names.count(n)) << n;
    }
}

// ---------------------------------------------------------------- randomness

TEST(fault_random, a_seed_gives_the_same_draws_and_sane_distributions) {
    FaultRandom a(42), b(42), c(43);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(a.next(), b.next());
    EXPECT_NE(FaultRandom(42).next(), c.next());
    FaultRandom r(7);
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        const double u = r.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        const double z = r.normal();
        sum += z;
        sq += z * z;
    }
    EXPECT_NEAR(sum / n, 0.0, 0.05);
    EXPECT_NEAR(sq / n, 1.0, 0.05);
    EXPECT_EQ(stable_uniform(1, 2, 3, 4), stable_uniform(1, 2, 3, 4));
    EXPECT_NE(stable_uniform(1, 2, 3, 4), stable_uniform(1, 2, 4, 4));
}

// ---------------------------------------------------------------- link effects

class LinkFaults : public ::testing::Test {
  protected:
    FaultSet set{1};
    std::map<std::uint64_t, FaultFlow> flows;
    void add(FaultSpec f, DeviceTime at = 0s) {
        auto e = make_effect(f);
        set.add(std::move(f), std::move(e), at);
    }
};

TEST_F(LinkFaults, latency_and_bandwidth_add_up) {
    add(spec("latency", {{"latency", "100ms"}}));
    add(spec("bandwidth", {{"rate", "1000B/s"}}));
    const Crossing c = cross(set, flows, Direction::up, Segment::Kind::Data, 500, 0s);
    // 100 ms of latency, then 500 bytes at 1000 B/s (in MSS pieces: one piece).
    EXPECT_EQ(c.arrival, 600ms);
    const Crossing d = cross(set, flows, Direction::up, Segment::Kind::Data, 500, 0s);
    EXPECT_EQ(d.arrival, 1100ms);  // queued behind the first on the same wire
    const Crossing e = cross(set, flows, Direction::down, Segment::Kind::Data, 500, 0s);
    EXPECT_EQ(e.arrival, 600ms);  // the other direction has its own wire
}

TEST_F(LinkFaults, direction_and_match_choose_the_traffic) {
    FaultSpec f = spec("blackhole");
    f.direction = Direction::down;
    f.match.port = 80;
    add(f);
    LinkInfo web;
    web.peer.port = 80;
    LinkInfo other;
    other.peer.port = 443;
    EXPECT_FALSE(cross(set, flows, Direction::up, Segment::Kind::Syn, 0, 0s, web).drop);
    EXPECT_TRUE(cross(set, flows, Direction::down, Segment::Kind::SynAck, 0, 0s, web).drop);
    std::map<std::uint64_t, FaultFlow> other_flows;
    EXPECT_FALSE(
        cross(set, other_flows, Direction::down, Segment::Kind::SynAck, 0, 0s, other).drop);
}

TEST_F(LinkFaults, probability_is_drawn_once_per_connection) {
    FaultSpec f = spec("blackhole");
    f.probability = 0.5;
    add(f);
    int dropped = 0;
    for (int conn = 0; conn < 200; ++conn) {
        std::map<std::uint64_t, FaultFlow> fl;
        const bool first = cross(set, fl, Direction::up, Segment::Kind::Syn, 0, 0s).drop;
        for (int i = 0; i < 5; ++i)
            ASSERT_EQ(cross(set, fl, Direction::up, Segment::Kind::Data, 10, 1s).drop, first);
        dropped += first ? 1 : 0;
    }
    EXPECT_GT(dropped, 70);
    EXPECT_LT(dropped, 130);
}

TEST_F(LinkFaults, limit_data_keeps_the_bytes_up_to_the_limit_then_closes) {
    add(spec("limit_data", {{"bytes", "25"}}));
    EXPECT_FALSE(cross(set, flows, Direction::up, Segment::Kind::Data, 10, 0s).close);
    const Crossing c = cross(set, flows, Direction::down, Segment::Kind::Data, 30, 0s);
    EXPECT_TRUE(c.close);
    EXPECT_EQ(c.keep, 15u);
}

TEST_F(LinkFaults, reset_peer_after_a_time_asks_for_a_wake_up) {
    add(spec("reset_peer", {{"after", "2s"}}));
    EXPECT_FALSE(cross(set, flows, Direction::up, Segment::Kind::Syn, 0, 1s).reset);
    EXPECT_EQ(flows.begin()->second.wake_at, 3s);
    Crossing tick;
    tick.tick = true;
    tick.now = 3s;
    set.decide({}, flows, tick);
    EXPECT_TRUE(tick.reset);
}

TEST_F(LinkFaults, nat_idle_kills_a_connection_idle_past_the_timeout_only) {
    add(spec("nat_idle", {{"timeout", "60s"}, {"action", "reset"}}));
    LinkInfo l;
    l.established = true;
    l.last_activity = 10s;
    EXPECT_FALSE(cross(set, flows, Direction::up, Segment::Kind::Data, 1, 69s, l).drop);
    const Crossing up = cross(set, flows, Direction::up, Segment::Kind::Data, 1, 70s, l);
    EXPECT_TRUE(up.answer_rst);
    l.last_activity = 70s;  // too late: the mapping is gone for good
    const Crossing down = cross(set, flows, Direction::down, Segment::Kind::Data, 1, 71s, l);
    EXPECT_TRUE(down.drop);
}

TEST_F(LinkFaults, nat_idle_drops_inbound_udp_on_a_forgotten_mapping) {
    add(spec("nat_idle", {{"timeout", "30s"}}));
    LinkInfo l;
    l.device.port = 5000;
    l.peer.port = 53;
    const auto udp = [&](Direction d, DeviceTime t) {
        Crossing c;
        c.udp = true;
        c.dir = d;
        c.now = t;
        c.arrival = t;
        c.bytes = 10;
        set.decide_datagram(l, c);
        return c.drop;
    };
    EXPECT_FALSE(udp(Direction::up, 0s));
    EXPECT_FALSE(udp(Direction::down, 29s));
    EXPECT_TRUE(udp(Direction::down, 60s));
    EXPECT_FALSE(udp(Direction::up, 61s));  // the device sends: a new mapping
    EXPECT_FALSE(udp(Direction::down, 62s));
}

TEST_F(LinkFaults, half_open_spares_connections_opened_after_it) {
    add(spec("half_open"), 10s);
    LinkInfo old_conn;
    old_conn.opened = 5s;
    LinkInfo new_conn;
    new_conn.opened = 10s;
    EXPECT_TRUE(cross(set, flows, Direction::up, Segment::Kind::Data, 1, 11s, old_conn).drop);
    std::map<std::uint64_t, FaultFlow> fresh;
    EXPECT_FALSE(cross(set, fresh, Direction::up, Segment::Kind::Data, 1, 11s, new_conn).drop);
}

TEST(dns_faults, match_names_exactly_or_by_wildcard) {
    FaultSet set(1);
    FaultSpec f = spec("dns_nxdomain");
    f.match.host = "*.example.com";
    auto e = make_effect(f);
    set.add(f, e, 0s);
    std::string name;
    EXPECT_EQ(set.dns("api.example.com", name).kind, DnsAnswer::Kind::fail);
    EXPECT_EQ(name, "dns_nxdomain");
    EXPECT_EQ(set.dns("API.Example.COM.", name).kind, DnsAnswer::Kind::fail);
    EXPECT_EQ(set.dns("example.com", name).kind, DnsAnswer::Kind::pass);
    EXPECT_EQ(set.dns("example.org", name).kind, DnsAnswer::Kind::pass);
}

TEST(fault_set, find_and_remove_by_name_or_id) {
    FaultSet set(1);
    FaultSpec a = spec("loss");
    a.name = "x";
    set.add(a, make_effect(a), 0s);
    set.add(a, make_effect(a), 0s);
    EXPECT_EQ(set.find("x").size(), 2u);
    EXPECT_EQ(set.find("1").size(), 1u);
    EXPECT_TRUE(set.has_link_faults());
    EXPECT_TRUE(set.remove(1));
    EXPECT_FALSE(set.remove(1));
    EXPECT_TRUE(set.remove(2));
    EXPECT_FALSE(set.has_link_faults());
}

}  // namespace
}  // namespace qpysim
