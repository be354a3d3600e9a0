#include "qpysim/mqtt.hpp"

#include <gtest/gtest.h>

namespace qpysim::mqtt {
namespace {

// ---------------------------------------------------------------- packets a client sends

std::string connect(const std::string& id, bool clean = true, int keepalive = 60,
                    std::optional<Message> will = std::nullopt,
                    std::optional<std::pair<std::string, std::string>> login = std::nullopt,
                    int level = 4) {
    std::string body = field(level == 4 ? "MQTT" : "MQIsdp");
    body += static_cast<char>(level);
    std::uint8_t flags = clean ? 0x02 : 0;
    if (will)
        flags |= static_cast<std::uint8_t>(0x04 | (will->qos << 3) | (will->retain ? 0x20 : 0));
    if (login) flags |= 0xc0;
    body += static_cast<char>(flags);
    body += static_cast<char>(keepalive >> 8);
    body += static_cast<char>(keepalive & 0xff);
    body += field(id);
    if (will) body += field(will->topic) + field(will->payload);
    if (login) body += field(login->first) + field(login->second);
    return encode(Type::connect, 0, body);
}

std::string pid_bytes(std::uint16_t pid) {
    return {static_cast<char>(pid >> 8), static_cast<char>(pid & 0xff)};
}

std::string publish(const std::string& topic, const std::string& payload, int qos = 0,
                    std::uint16_t pid = 1, bool retain = false) {
    std::string body = field(topic);
    if (qos) body += pid_bytes(pid);
    body += payload;
    return encode(Type::publish, static_cast<std::uint8_t>((qos << 1) | (retain ? 1 : 0)), body);
}

std::string subscribe(const std::string& filter, int qos, std::uint16_t pid = 1) {
    return encode(Type::subscribe, 2, pid_bytes(pid) + field(filter) + static_cast<char>(qos));
}

std::string puback(std::uint16_t pid) {
    return encode(Type::puback, 0, pid_bytes(pid));
}

// ---------------------------------------------------------------- a broker with fake connections

struct Fixture : Broker::Host {
    std::map<Broker::ConnId, std::vector<Packet>> got;  // what each connection received
    std::map<Broker::ConnId, bool> closed;              // true: reset
    std::vector<ServiceEvent> asked;
    ServiceVerdict verdict;
    std::vector<Published> routed_;
    Broker broker;
    DeviceTime now{};

    Broker::Listener listener;

    explicit Fixture(Broker::Listener l = {}, Broker::Config c = {})
        : broker(std::move(c), *this, ServiceEvent{}), listener(std::move(l)) {}

    void send(Broker::ConnId conn, std::string bytes) override {
        Decoder d(1 << 20);
        d.feed(bytes);
        while (auto p = d.next())
            got[conn].push_back(*p);
    }
    void close(Broker::ConnId conn, bool reset) override { closed[conn] = reset; }
    ServiceVerdict ask(Broker::ConnId, ServiceEvent ev) override {
        asked.push_back(ev);
        return verdict;
    }
    void note(Broker::ConnId, const std::string&, const NoteFields&) override {}
    void routed(const Published& p) override { routed_.push_back(p); }

    void open(Broker::ConnId c) { broker.opened(c, "10.0.0.1:50000", now, listener); }
    void in(Broker::ConnId c, const std::string& bytes) { broker.received(c, bytes, now); }
    // Open a connection and CONNECT; returns the CONNACK return code.
    int login(Broker::ConnId c, const std::string& connect_bytes) {
        open(c);
        in(c, connect_bytes);
        const auto& p = got.at(c).at(0);
        EXPECT_EQ(p.type, Type::connack);
        return static_cast<std::uint8_t>(p.body[1]);
    }
    std::vector<Packet> take(Broker::ConnId c) {
        auto v = std::move(got[c]);
        got[c].clear();
        return v;
    }
};

// The topic and payload of a PUBLISH packet, and its packet id (0 at QoS 0).
struct Pub {
    std::string topic, payload;
    int qos = 0;
    bool retain = false, dup = false;
    std::uint16_t pid = 0;
};
Pub parse_pub(const Packet& p) {
    Pub out;
    const auto n = static_cast<std::size_t>((static_cast<std::uint8_t>(p.body[0]) << 8) |
                                            static_cast<std::uint8_t>(p.body[1]));
    out.topic = p.body.substr(2, n);
    out.qos = (p.flags >> 1) & 3;
    out.retain = p.flags & 1;
    out.dup = p.flags & 8;
    std::size_t at = 2 + n;
    if (out.qos) {
        out.pid = static_cast<std::uint16_t>((static_cast<std::uint8_t>(p.body[at]) << 8) |
                                             static_cast<std::uint8_t>(p.body[at + 1]));
        at += 2;
    }
    out.payload = p.body.substr(at);
    return out;
}

// ---------------------------------------------------------------- framing and topics

TEST(mqtt_decoder, frames_packets_split_anywhere) {
    const std::string wire = publish("a/b", std::string(300, 'x')) + publish("c", "y");
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        Decoder d(1 << 20);
        std::vector<Packet> out;
        d.feed(wire.substr(0, cut));
        while (auto p = d.next())
            out.push_back(*p);
        d.feed(wire.substr(cut));
        while (auto p = d.next())
            out.push_back(*p);
        ASSERT_EQ(out.size(), 2u) << "cut at " << cut;
        EXPECT_EQ(parse_pub(out[0]).payload.size(), 300u);
        EXPECT_EQ(parse_pub(out[1]).topic, "c");
        EXPECT_TRUE(d.error().empty());
    }
}

TEST(mqtt_decoder, a_fifth_length_byte_and_an_oversized_packet_are_errors) {
    Decoder a(1 << 20);
    a.feed(std::string("\x30\xff\xff\xff\xff\x01", 6));
    EXPECT_FALSE(a.next());
    EXPECT_EQ(a.error(), "malformed remaining length");
    Decoder b(100);
    b.feed(publish("t", std::string(200, 'x')));
    EXPECT_FALSE(b.next());
    EXPECT_EQ(b.error(), "packet of 203 bytes over the limit of 100");
}

TEST(mqtt_topics, filters_match_as_the_spec_examples_say) {
    // MQTT 3.1.1 section 4.7.1.2 and 4.7.1.3.
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
    EXPECT_TRUE(topic_matches("sport/#", "sport"));
    EXPECT_TRUE(topic_matches("#", "a/b/c"));
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
    EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    EXPECT_FALSE(topic_matches("sport/+", "sport"));
    EXPECT_TRUE(topic_matches("sport/+", "sport/"));
    EXPECT_TRUE(topic_matches("+/+", "/finance"));
    EXPECT_TRUE(topic_matches("/+", "/finance"));
    EXPECT_FALSE(topic_matches("+", "/finance"));
    EXPECT_FALSE(topic_matches("#", "$SYS/uptime"));
    EXPECT_FALSE(topic_matches("+/uptime", "$SYS/uptime"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/uptime"));
    EXPECT_FALSE(topic_matches("a/b", "a/b/c"));
    EXPECT_FALSE(topic_matches("a/b/c", "a/b"));
}

TEST(mqtt_topics, wildcards_stand_alone_and_hash_comes_last) {
    EXPECT_TRUE(valid_filter("a/+/c"));
    EXPECT_TRUE(valid_filter("#"));
    EXPECT_FALSE(valid_filter("a/#/c"));
    EXPECT_FALSE(valid_filter("a+"));
    EXPECT_FALSE(valid_filter("a/b#"));
    EXPECT_FALSE(valid_filter(""));
    EXPECT_FALSE(valid_topic("a/+"));
    EXPECT_FALSE(valid_topic(""));
    EXPECT_FALSE(valid_topic(std::string("a\0b", 3)));
    EXPECT_FALSE(valid_topic("\xc3"));      // cut short
    EXPECT_FALSE(valid_topic("\xc0\xaf"));  // overlong
    EXPECT_TRUE(valid_topic("\xe6\xb8\xa9\xe5\xba\xa6"));
}

// ---------------------------------------------------------------- CONNECT

TEST(mqtt_connect, a_good_connect_is_accepted) {
    Fixture f;
    EXPECT_EQ(f.login(1, connect("dev1")), 0);
    EXPECT_FALSE(f.closed.count(1));
    ASSERT_EQ(f.broker.clients().size(), 1u);
    EXPECT_EQ(f.broker.clients()[0].client_id, "dev1");
    EXPECT_TRUE(f.broker.clients()[0].connected);
}

TEST(mqtt_connect, refusals_use_the_spec_return_codes_and_close) {
    Broker::Listener users;
    users.users = {{"dev", "secret"}};
    users.anonymous = false;
    struct Case {
        const char* why;
        std::string bytes;
        int code;
        Broker::Listener config;
    } cases[] = {
        {"MQTT at level 3",
         encode(Type::connect, 0, field("MQTT") + std::string("\x03\x02\x00\x3c", 4) + field("x")),
         1,
         {}},
        {"an unknown protocol",
         encode(Type::connect, 0, field("HTTP") + std::string("\x04\x02\x00\x3c", 4) + field("x")),
         -1,
         {}},
        {"empty id without clean session", connect("", false), 2, {}},
        {"3.1: empty id", connect("", true, 60, std::nullopt, std::nullopt, 3), 2, {}},
        {"3.1: 24 characters",
         connect(std::string(24, 'a'), true, 60, std::nullopt, std::nullopt, 3),
         2,
         {}},
        {"wrong password", connect("x", true, 60, std::nullopt, std::pair{"dev", "nope"}), 5,
         users},
        {"unknown user", connect("x", true, 60, std::nullopt, std::pair{"eve", "secret"}), 5,
         users},
        {"anonymous", connect("x"), 5, users},
    };
    for (auto& c : cases) {
        Fixture f(c.config);
        f.open(1);
        f.in(1, c.bytes);
        ASSERT_TRUE(f.closed.count(1)) << c.why;
        if (c.code < 0) continue;
        ASSERT_EQ(f.got[1].size(), 1u) << c.why;
        EXPECT_EQ(f.got[1][0].body[1], c.code) << c.why;
    }
    // "MQIsdp" with level 3 and a short id is fine; so are the right password
    // and an assigned id for an empty one with clean session.
    Fixture ok(users);
    EXPECT_EQ(ok.login(1, connect("x", true, 60, std::nullopt, std::pair{"dev", "secret"})), 0);
    Fixture v31;
    EXPECT_EQ(v31.login(1, connect("short", true, 60, std::nullopt, std::nullopt, 3)), 0);
    Fixture assigned;
    EXPECT_EQ(assigned.login(1, connect("")), 0);
    EXPECT_EQ(assigned.broker.clients()[0].client_id.rfind("auto-", 0), 0u);
}

TEST(mqtt_connect, an_unknown_level_of_mqtt_gets_connack_1) {
    Fixture f;
    f.open(1);
    std::string body = field("MQTT") + std::string("\x05\x02\x00\x3c", 4) + field("x");
    f.in(1, encode(Type::connect, 0, body));
    ASSERT_EQ(f.got[1].size(), 1u);
    EXPECT_EQ(f.got[1][0].body[1], 1);
    EXPECT_TRUE(f.closed.count(1));
}

TEST(mqtt_connect, a_fault_refuses_with_its_code) {
    Fixture f;
    f.verdict.refuse = 3;
    EXPECT_EQ(f.login(1, connect("dev1")), 3);
    EXPECT_TRUE(f.closed.count(1));
    ASSERT_FALSE(f.asked.empty());
    EXPECT_EQ(f.asked.back().action, "connect");
    EXPECT_EQ(f.asked.back().client, "dev1");
}

TEST(mqtt_connect, a_second_connection_with_the_same_id_takes_over) {
    Fixture f;
    Message will{"dev/status", "gone", 0, false};
    f.login(1, connect("dev1", true, 60, will));
    f.login(9, connect("watcher"));
    f.in(9, subscribe("dev/#", 0));
    f.take(9);
    EXPECT_EQ(f.login(2, connect("dev1")), 0);
    EXPECT_TRUE(f.closed.count(1));
    const auto got = f.take(9);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(parse_pub(got[0]).payload, "gone");
}

// ---------------------------------------------------------------- publish and subscribe

TEST(mqtt_route, qos_is_the_lower_of_message_and_subscription_and_qos2_is_granted_1) {
    Fixture f;
    f.login(1, connect("pub"));
    f.login(2, connect("sub"));
    f.take(2);
    f.in(2, subscribe("t/#", 2, 7));
    auto acks = f.take(2);
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].type, Type::suback);
    EXPECT_EQ(acks[0].body, pid_bytes(7) + std::string(1, '\x01'));
    f.take(1);
    f.in(1, publish("t/a", "zero", 0));
    f.in(1, publish("t/a", "one", 1, 11));
    auto pub_side = f.take(1);
    ASSERT_EQ(pub_side.size(), 1u);
    EXPECT_EQ(pub_side[0].type, Type::puback);
    EXPECT_EQ(pub_side[0].body, pid_bytes(11));
    auto got = f.take(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(parse_pub(got[0]).qos, 0);
    EXPECT_EQ(parse_pub(got[1]).qos, 1);
    EXPECT_EQ(parse_pub(got[1]).payload, "one");
    EXPECT_NE(parse_pub(got[1]).pid, 0);
}

TEST(mqtt_route, qos2_in_is_released_on_pubrel_once) {
    Fixture f;
    f.login(1, connect("pub"));
    f.login(2, connect("sub"));
    f.in(2, subscribe("t", 1));
    f.take(1);
    f.take(2);
    f.in(1, publish("t", "x", 2, 5));
    f.in(1, publish("t", "x", 2, 5));  // sent again before PUBREL: still one message
    auto a = f.take(1);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].type, Type::pubrec);
    EXPECT_TRUE(f.take(2).empty());  // held until PUBREL (method B, as mosquitto)
    f.in(1, encode(Type::pubrel, 2, pid_bytes(5)));
    a = f.take(1);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].type, Type::pubcomp);
    EXPECT_EQ(f.take(2).size(), 1u);
    f.in(1, encode(Type::pubrel, 2, pid_bytes(5)));  // a repeated PUBREL: PUBCOMP only
    EXPECT_EQ(f.take(1).at(0).type, Type::pubcomp);
    EXPECT_TRUE(f.take(2).empty());
}

TEST(mqtt_route, a_publisher_subscribed_to_its_topic_gets_the_message_before_its_puback) {
    Fixture f;
    f.login(1, connect("self"));
    f.in(1, subscribe("loop", 1));
    f.take(1);
    f.in(1, publish("loop", "me", 1, 9));
    const auto got = f.take(1);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].type, Type::publish);
    EXPECT_EQ(got[1].type, Type::puback);
}

TEST(mqtt_route, retained_messages_reach_new_subscribers_with_the_flag) {
    Fixture f;
    f.login(1, connect("pub"));
    f.in(1, publish("cfg/rate", "60", 1, 1, true));
    f.in(1, publish("cfg/mode", "fast", 0, 0, true));
    f.in(1, publish("cfg/mode", "", 0, 0, true));  // clears it
    f.login(2, connect("sub"));
    f.take(2);
    f.in(2, subscribe("cfg/#", 1));
    const auto got = f.take(2);
    ASSERT_EQ(got.size(), 2u);  // SUBACK, then the one retained message
    const Pub p = parse_pub(got[1]);
    EXPECT_EQ(p.topic, "cfg/rate");
    EXPECT_EQ(p.payload, "60");
    EXPECT_TRUE(p.retain);
    EXPECT_EQ(f.broker.retained().size(), 1u);
    // A live message to an existing subscription has the flag cleared.
    f.in(1, publish("cfg/rate", "30", 0, 0, true));
    EXPECT_FALSE(parse_pub(f.take(2).at(0)).retain);
}

TEST(mqtt_route, a_persistent_session_keeps_qos1_messages_and_resends_unacked_ones) {
    Fixture f;
    f.login(1, connect("pub"));
    f.login(2, connect("dev", false));
    f.in(2, subscribe("cmd", 1));
    f.take(2);
    f.in(1, publish("cmd", "first", 1, 1));
    const Pub first = parse_pub(f.take(2).at(0));  // sent, never acknowledged
    f.broker.lost(2, f.now);
    f.in(1, publish("cmd", "second", 1, 2));
    f.in(1, publish("cmd", "lost", 0));  // QoS 0 is not kept for an absent client
    ASSERT_EQ(f.broker.clients().size(), 2u);
    EXPECT_EQ(f.broker.clients()[0].queued, 1u);
    EXPECT_EQ(f.login(3, connect("dev", false)), 0);
    const auto got = f.take(3);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].body[0], 1);  // session present
    const Pub again = parse_pub(got[1]);
    EXPECT_EQ(again.payload, "first");
    EXPECT_TRUE(again.dup);
    EXPECT_EQ(again.pid, first.pid);
    EXPECT_EQ(parse_pub(got[2]).payload, "second");
    // A clean session throws it all away.
    f.broker.lost(3, f.now);
    f.login(4, connect("dev", true));
    EXPECT_EQ(f.take(4)[0].body[0], 0);
    EXPECT_TRUE(f.broker.clients()[0].subscriptions.empty());
}

TEST(mqtt_route, at_most_twenty_in_flight_the_rest_wait_for_pubacks) {
    Fixture f;
    f.login(1, connect("pub"));
    f.login(2, connect("sub"));
    f.in(2, subscribe("t", 1));
    f.take(2);
    for (int i = 0; i < 25; ++i)
        f.in(1, publish("t", std::to_string(i), 1, static_cast<std::uint16_t>(i + 1)));
    auto got = f.take(2);
    ASSERT_EQ(got.size(), 20u);
    f.in(2, puback(parse_pub(got[0]).pid));
    got = f.take(2);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(parse_pub(got[0]).payload, "20");
}

TEST(mqtt_route, dropped_publishes_are_neither_acknowledged_nor_delivered) {
    Fixture f;
    f.login(1, connect("pub"));
    f.login(2, connect("sub"));
    f.in(2, subscribe("#", 1));
    f.take(1);
    f.take(2);
    f.verdict.drop = true;
    f.in(1, publish("t", "x", 1, 3));
    EXPECT_TRUE(f.take(1).empty());
    EXPECT_TRUE(f.take(2).empty());
    EXPECT_EQ(f.asked.back().dir, Direction::up);
}

// ---------------------------------------------------------------- wills, keepalive, errors

TEST(mqtt_will, is_published_when_the_connection_is_lost_not_after_disconnect) {
    Fixture f;
    f.login(9, connect("watch"));
    f.in(9, subscribe("status/#", 0));
    f.take(9);
    Message will{"status/a", "offline", 0, true};
    f.login(1, connect("a", true, 60, will));
    f.broker.lost(1, f.now);
    auto got = f.take(9);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(parse_pub(got[0]).payload, "offline");
    EXPECT_EQ(f.broker.retained().size(), 1u);  // a retained will is retained
    f.login(2, connect("a", true, 60, will));
    f.in(2, encode(Type::disconnect, 0, {}));
    EXPECT_TRUE(f.closed.count(2));
    f.broker.lost(2, f.now);
    EXPECT_TRUE(f.take(9).empty());
}

TEST(mqtt_keepalive, a_client_silent_for_one_and_a_half_keepalives_is_dropped) {
    Fixture f;
    Message will{"w", "late", 0, false};
    f.login(9, connect("watch", true, 0));
    f.in(9, subscribe("w", 0));
    f.take(9);
    f.login(1, connect("a", true, 10, will));
    EXPECT_EQ(f.broker.next_deadline(), f.now + 15s);
    f.now += 14s;
    f.in(1, encode(Type::pingreq, 0, {}));
    EXPECT_EQ(f.take(1).back().type, Type::pingresp);
    EXPECT_EQ(f.broker.next_deadline(), f.now + 15s);
    f.now += 15s;
    f.broker.tick(f.now);
    EXPECT_TRUE(f.closed.count(1));
    EXPECT_EQ(parse_pub(f.take(9).at(0)).payload, "late");
    EXPECT_FALSE(f.broker.next_deadline());  // "watch" has no keepalive
}

TEST(mqtt_errors, protocol_violations_close_without_an_answer) {
    const std::string bad[] = {
        publish("t", "before connect"),
        connect("x") + connect("x"),
        connect("x") + publish("a/+", "wildcard"),
        connect("x") + encode(Type::subscribe, 0, pid_bytes(1) + field("t") + '\0'),
        connect("x") + subscribe("a/#/b", 0),
        connect("x") + encode(Type::pingreq, 1, {}),
        connect("x") + encode(Type::connack, 0, std::string(2, '\0')),
        std::string("\x00\x00", 2),
    };
    for (const auto& bytes : bad) {
        Fixture f;
        f.open(1);
        f.in(1, bytes);
        EXPECT_TRUE(f.closed.count(1));
        for (const auto& p : f.got[1])
            EXPECT_EQ(p.type, Type::connack);  // at most the CONNACK of a good CONNECT
    }
}

}  // namespace
}  // namespace qpysim::mqtt
