// An MQTT 3.1 / 3.1.1 broker as a pure state machine (no sockets, no clock):
// the `mqtt` virtual service feeds it the bytes of each connection with the
// device time, and it answers through its Host. Tested without an io_context.
//
// Spec: MQTT 3.1.1 (OASIS, 2014) and 3.1 (IBM, 2010, protocol name "MQIsdp").
// What it does, with mosquitto 2.0's choices where the spec leaves one open:
//  - CONNECT: protocol MQTT level 4 or MQIsdp level 3 (another level: CONNACK 1);
//    an empty client id with clean session gets an assigned one (3.1.1), without
//    it CONNACK 2; a 3.1 client id must be 1..23 characters (else CONNACK 2);
//    users from the configuration: a wrong or missing password, or anonymity
//    where it is not allowed, is CONNACK 5 (mosquitto's "not authorised"); a
//    second connection with a connected client id takes over (the first is
//    closed and its will published). Session present for a resumed session.
//  - SUBSCRIBE with + and # (and $-topics kept from wildcards at the first
//    level); QoS 0 and 1: a QoS 2 subscription is granted QoS 1 (no outbound
//    QoS 2). Retained messages go to new subscriptions with the retain flag.
//  - PUBLISH in with QoS 0, 1 (PUBACK, sent after the message went to the
//    subscribers, the publisher included, as mosquitto orders them) and 2
//    (PUBREC, then delivered on PUBREL, then PUBCOMP); out at the lower of the
//    message's and the subscription's QoS,
//    once per client however many of its subscriptions match. QoS 1 messages
//    wait for PUBACK (20 in flight per client, the rest queued); a persistent
//    session (clean session 0) keeps its subscriptions, its unacknowledged
//    messages (sent again with DUP on reconnect) and queues QoS 1 messages while
//    the client is away (1000 at most, then the oldest is dropped).
//  - The last will is published when a connection ends without DISCONNECT:
//    lost, reset, timed out, taken over, or closed for a protocol error.
//  - Keepalive: a client silent for 1.5 times its keepalive is disconnected.
//  - A malformed packet (bad length, reserved flags, a wildcard in a PUBLISH
//    topic, invalid UTF-8, a packet before CONNECT, a second CONNECT...) closes
//    the connection, as MQTT 3.1.1 section 4.8 says, with nothing sent.
// Service faults (mqtt_refuse, mqtt_drop, mqtt_disconnect) are asked through
// the Host at CONNECT and at each PUBLISH in and out.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qpysim/faults.hpp"
#include "qpysim/time.hpp"

namespace qpysim::mqtt {

enum class Type : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};
const char* to_string(Type t) noexcept;

struct Packet {
    Type type = Type::connect;
    std::uint8_t flags = 0;  // the low nibble of the fixed header
    std::string body;        // variable header and payload
};

// Frames packets out of a byte stream: feed() what arrives, then next() until
// it returns nullopt. A malformed fixed header or a packet over `max_packet`
// sets error().
class Decoder {
  public:
    explicit Decoder(std::size_t max_packet) : max_(max_packet) {}
    void feed(std::string_view bytes) { in_.append(bytes); }
    std::optional<Packet> next();
    const std::string& error() const noexcept { return error_; }

  private:
    std::size_t max_;
    std::string in_;
    std::size_t pos_ = 0;
    std::string error_;
};

// One packet on the wire: fixed header, remaining length, body.
std::string encode(Type type, std::uint8_t flags, std::string_view body);
// A length-prefixed UTF-8 string field.
std::string field(std::string_view s);

bool valid_utf8(std::string_view s) noexcept;
// A topic name a client may publish to (no wildcards, not empty).
bool valid_topic(std::string_view topic) noexcept;
// A topic filter a client may subscribe to (+ and # used whole).
bool valid_filter(std::string_view filter) noexcept;
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

// One detail of a trace note: text, a number or a flag, as the trace's JSON
// types them.
struct NoteField {
    enum class Kind { text, number, flag };
    Kind kind = Kind::text;
    std::string key;
    std::string text;
    long long number = 0;

    static NoteField str(std::string k, std::string v) {
        return {Kind::text, std::move(k), std::move(v), 0};
    }
    static NoteField num(std::string k, long long v) { return {Kind::number, std::move(k), {}, v}; }
    static NoteField flag(std::string k, bool v) {
        return {Kind::flag, std::move(k), {}, v ? 1 : 0};
    }
};
using NoteFields = std::vector<NoteField>;

struct Message {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
};

// What the broker has seen published (for tests: Device.broker().messages()).
struct Published {
    DeviceTime at{};
    std::string client;  // who published it ("" for the broker itself); a will: whose
    Message message;
    bool will = false;
};

struct ClientInfo {
    std::string client_id;
    bool connected = false;
    bool clean_session = true;
    int protocol = 4;  // 3 (MQTT 3.1) or 4 (3.1.1)
    int keepalive = 0;
    std::string username;
    std::string peer;  // "ip:port" of the connection
    std::map<std::string, int> subscriptions;
    std::size_t queued = 0;    // waiting for the client (offline, or over the in-flight limit)
    std::size_t inflight = 0;  // QoS 1 sent, PUBACK not yet back
};

class Broker {
  public:
    using ConnId = std::uint64_t;

    // What one listening port checks (a broker may listen on several, as
    // mosquitto on 1883 and 8883).
    struct Listener {
        std::map<std::string, std::string> users;  // name -> password; empty: no check
        bool anonymous = true;                     // clients without a user name may connect
        std::size_t max_packet = 1 << 20;
    };
    struct Config {
        int max_qos = 1;  // granted at most (0 or 1)
        std::size_t max_queued = 1000;
        std::size_t max_inflight = 20;
        std::vector<Message> retained;  // retained at power-on
    };

    // What the broker needs from around it.
    class Host {
      public:
        virtual ~Host() = default;
        virtual void send(ConnId conn, std::string bytes) = 0;
        // The broker is done with the connection: close it (FIN), or reset it.
        virtual void close(ConnId conn, bool reset) = 0;
        // The service faults' verdict on an event of a connection (0: none).
        virtual ServiceVerdict ask(ConnId conn, ServiceEvent ev) = 0;
        // A line for the trace: what happened on a connection (0: none), with
        // key/value details.
        virtual void note(ConnId conn, const std::string& what, const NoteFields& details) = 0;
        // Every message the broker accepted and routed (after faults).
        virtual void routed(const Published& p) = 0;
    };

    Broker(Config config, Host& host, ServiceEvent base);

    // ---- the connections' side
    // A new connection on `listener`, which must outlive it.
    void opened(ConnId conn, const std::string& peer, DeviceTime now, const Listener& listener);
    void received(ConnId conn, std::string_view bytes, DeviceTime now);
    // The connection ended (closed by the client without DISCONNECT, reset,
    // aborted): the will goes out. Also after the broker's own close().
    void lost(ConnId conn, DeviceTime now);
    // Keepalive: when tick() must next be called, if ever.
    std::optional<DeviceTime> next_deadline() const;
    void tick(DeviceTime now);

    // ---- from outside (Python, faults)
    // Publish as the broker itself (no client): routed like any PUBLISH.
    void publish(Message m, DeviceTime now);
    // Retained from power-on (a listener's `retained:` setting).
    void retain(const Message& m);
    const Config& config() const noexcept { return config_; }
    // Disconnect clients whose id matches the fault (its event "client"), on
    // the connections `which` picks.
    void kick(const Fault& f, DeviceTime now, const std::function<bool(ConnId)>& which);
    // Disconnect one client (its will goes out); false if it is not connected.
    bool disconnect(const std::string& client_id, bool reset, DeviceTime now);
    std::vector<ClientInfo> clients() const;
    std::vector<Message> retained() const;
    const std::deque<Published>& log() const noexcept { return log_; }

  private:
    struct Session;
    struct Conn {
        ConnId id = 0;
        std::string peer;
        const Listener* listener = nullptr;
        Decoder decoder;
        bool connected = false;  // CONNECT accepted
        bool closing = false;    // the broker closed it; ignore what still arrives
        Session* session = nullptr;
        int protocol = 4;
        int keepalive = 0;
        DeviceTime last_heard{};
        std::optional<Message> will;
        std::string username;
        explicit Conn(std::size_t max) : decoder(max) {}
    };
    struct Session {
        std::string client_id;
        bool clean = true;
        std::optional<ConnId> conn;
        std::map<std::string, int> subscriptions;   // filter -> granted QoS
        std::deque<Message> queue;                  // QoS 1 waiting to be sent
        std::map<std::uint16_t, Message> inflight;  // sent, waiting for PUBACK
        std::map<std::uint16_t, Message> qos2_in;   // PUBREC sent, PUBREL awaited
        std::uint16_t next_pid = 1;
    };

    void handle(Conn& c, Packet p, DeviceTime now);
    void on_connect(Conn& c, const Packet& p, DeviceTime now);
    void on_publish(Conn& c, const Packet& p, DeviceTime now);
    void on_subscribe(Conn& c, const Packet& p, DeviceTime now);
    void on_unsubscribe(Conn& c, const Packet& p, DeviceTime now);
    void on_ack(Conn& c, const Packet& p, DeviceTime now);
    // The broker ends a connection: with will (not a DISCONNECT), or without.
    void drop(Conn& c, const std::string& why, bool with_will, bool reset, DeviceTime now);
    void violation(Conn& c, const std::string& why, DeviceTime now);
    void detach(Conn& c, bool with_will, DeviceTime now);
    void route(const Message& m, ConnId from_conn, const std::string& from, bool will,
               DeviceTime now);
    void deliver(Session& s, Message m);
    void send_publish(Session& s, const Message& m, std::uint16_t pid, bool dup);
    void pump(Session& s);
    std::string assign_id();
    void note(ConnId conn, const std::string& what, const NoteFields& details);

    Config config_;
    Host& host_;
    ServiceEvent base_;  // protocol, service endpoint: filled in for each event asked
    std::map<ConnId, Conn> conns_;
    std::map<std::string, Session> sessions_;
    std::map<std::string, Message> retained_;
    std::deque<Published> log_;
    std::uint64_t assigned_ = 0;
};

// The `mqtt` service as tests reach it (Device.broker(host, port)). Every call
// with the core lock held.
class BrokerAccess {
  public:
    virtual ~BrokerAccess() = default;
    // Publish from the broker itself, now or `after` this much device time.
    virtual void publish(Message m, Duration after) = 0;
    virtual std::vector<ClientInfo> clients() const = 0;
    virtual std::vector<Message> retained() const = 0;
    // What the broker routed, oldest first (the last 10000).
    virtual std::vector<Published> messages() const = 0;
    virtual bool disconnect(const std::string& client_id, bool reset) = 0;
    // A subscription of the test's own: what matches `filter` from now on.
    virtual std::uint64_t subscribe(const std::string& filter) = 0;
    virtual void unsubscribe(std::uint64_t sub) = 0;
    // Take what arrived for `sub`, waiting in device time until something
    // has or the timeout passes (nullopt: forever). Throws Halted.
    virtual std::vector<Published> take(std::unique_lock<std::mutex>& lk, std::uint64_t sub,
                                        std::optional<Duration> timeout) = 0;
};

}  // namespace qpysim::mqtt
