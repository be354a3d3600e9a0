// mqtt: an MQTT 3.1 / 3.1.1 broker (the state machine in qpysim/mqtt.hpp says
// exactly what it does). Every `mqtt` port of one virtual host is a listener of
// the same broker, as mosquitto's 1883 and 8883 are: a client on one port gets
// what a client on the other publishes, and sessions and retained messages are
// shared.
//
// Settings (all optional; `1883: mqtt` is an open broker):
//   users       a mapping of user name -> password; a client that gives a user
//               name must give its password (CONNACK 5 otherwise)
//   anonymous   clients without a user name may connect (default: true when
//               no users are given, false when some are)
//   max_packet  the largest packet accepted (default 1MB); a bigger one closes
//               the connection
//   retained    a mapping of topic -> payload, retained from power-on
//   max_qos     0 or 1 (default 1): the highest QoS a subscription is granted
//   max_queued  QoS 1 messages kept per offline persistent session (default 1000)
// users, anonymous and max_packet are each port's own; max_qos and max_queued
// are the broker's and must agree between the ports of a host.
// With `tls:` a port is MQTT over TLS (8883 by convention). Tests reach the
// broker as Device.broker(host, port): publish, subscribe, clients, retained
// messages, what was published, and disconnecting a client.
#include <algorithm>

#include "kinds.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/mqtt.hpp"

namespace qpysim::services {

namespace {

using mqtt::Broker;

struct MqttConfig final : ServiceConfig {
    Broker::Listener listener;
    Broker::Config broker;
    std::string summary() const override {
        const auto& users = listener.users;
        std::string s =
            users.empty() ? std::string("open")
                          : std::to_string(users.size()) + (users.size() == 1 ? " user" : " users");
        if (!users.empty() && listener.anonymous) s += " and anonymous";
        if (!broker.retained.empty())
            s += ", " + std::to_string(broker.retained.size()) + " retained";
        return s;
    }
};

std::shared_ptr<const ServiceConfig> parse(const ConfigReader& r, const YAML::Node& n) {
    auto c = std::make_shared<MqttConfig>();
    if (!n || n.IsNull()) return c;
    r.expect_map(n, "mqtt");
    r.check_keys(n, {"users", "anonymous", "retained", "max_qos", "max_packet", "max_queued"},
                 "mqtt");
    auto& l = c->listener;
    if (const auto v = n["users"]) {
        r.expect_map(v, "users");
        for (const auto& kv : v)
            l.users[r.scalar(kv.first, "a user name")] = r.scalar(kv.second, "a password");
    }
    l.anonymous = l.users.empty();
    if (const auto v = n["anonymous"]) l.anonymous = r.boolean(v, "anonymous");
    if (const auto v = n["max_packet"]) {
        const std::string text = r.scalar(v, "max_packet");
        const auto bytes = parse_bytes(text);
        if (!bytes || *bytes < 2 || *bytes > 268435455)
            r.fail(v.Mark(), "max_packet must be a size up to 256MB, got '" + text + "'");
        l.max_packet = static_cast<std::size_t>(*bytes);
    }
    auto& b = c->broker;
    if (const auto v = n["retained"]) {
        r.expect_map(v, "retained");
        for (const auto& kv : v) {
            mqtt::Message m;
            m.topic = r.scalar(kv.first, "a retained topic");
            if (!mqtt::valid_topic(m.topic))
                r.fail(kv.first.Mark(), "'" + m.topic + "' is not a topic a client may publish to");
            m.payload = r.scalar(kv.second, "a retained payload");
            m.retain = true;
            b.retained.push_back(std::move(m));
        }
    }
    if (const auto v = n["max_qos"]) {
        const auto q = r.unsigned_int(v, "max_qos");
        if (q > 1) r.fail(v.Mark(), "max_qos must be 0 or 1 (QoS 2 is not sent to clients)");
        b.max_qos = static_cast<int>(q);
    }
    if (const auto v = n["max_queued"])
        b.max_queued = static_cast<std::size_t>(r.unsigned_int(v, "max_queued"));
    return c;
}

class MqttSession;

// The broker of one virtual host, shared by its mqtt ports.
class SharedBroker final : public Broker::Host,
                           public mqtt::BrokerAccess,
                           public std::enable_shared_from_this<SharedBroker> {
  public:
    SharedBroker(Modem& modem, const Broker::Config& config)
        : modem_(modem), broker_(config, *this, ServiceEvent{}) {}

    // ---- the listeners' side
    Broker::ConnId add(const std::shared_ptr<MqttSession>& s, Endpoint listener_at) {
        const auto id = next_conn_++;
        conns_[id] = {s, listener_at};
        return id;
    }
    void opened(Broker::ConnId id, const Endpoint& peer, const Broker::Listener& listener) {
        broker_.opened(id, peer.to_string(), now(), listener);
        arm();
    }
    void received(Broker::ConnId id, std::string_view bytes) {
        broker_.received(id, bytes, now());
        arm();
    }
    void ended(Broker::ConnId id) {
        conns_.erase(id);
        broker_.lost(id, now());
        arm();
    }
    void kick(const Fault& f, const Endpoint& listener_at) {
        broker_.kick(f, now(), [&](Broker::ConnId id) {
            const auto it = conns_.find(id);
            return it != conns_.end() && it->second.at == listener_at;
        });
        arm();
    }
    Broker& broker() noexcept { return broker_; }

    // ---- Broker::Host
    void send(Broker::ConnId conn, std::string bytes) override;
    void close(Broker::ConnId conn, bool reset) override;
    ServiceVerdict ask(Broker::ConnId conn, ServiceEvent ev) override {
        const auto it = conns_.find(conn);
        if (it != conns_.end()) ev.service = it->second.at;
        return modem_.service_faults(ev);
    }
    void note(Broker::ConnId conn, const std::string& what,
              const mqtt::NoteFields& details) override {
        if (!modem_.tracing()) return;
        TraceEvent t(now(), "mqtt");
        const auto it = conns_.find(conn);
        if (it != conns_.end()) t.str("at", it->second.at.to_string());
        t.str("event", what);
        for (const auto& f : details) {
            switch (f.kind) {
                case mqtt::NoteField::Kind::text:
                    t.str(f.key, f.text);
                    break;
                case mqtt::NoteField::Kind::number:
                    t.num(f.key, f.number);
                    break;
                case mqtt::NoteField::Kind::flag:
                    t.boolean(f.key, f.number != 0);
                    break;
            }
        }
        modem_.trace_event(std::move(t));
    }
    void routed(const mqtt::Published& p) override {
        bool any = false;
        for (auto& [id, sub] : subs_) {
            if (!mqtt::topic_matches(sub.filter, p.message.topic)) continue;
            sub.pending.push_back(p);
            any = true;
        }
        if (any) modem_.sched().notify(waiters_);
    }

    // ---- BrokerAccess
    void publish(mqtt::Message m, Duration after) override {
        if (!mqtt::valid_topic(m.topic))
            throw UsageError("'" + m.topic + "' is not a topic to publish to");
        if (m.qos < 0 || m.qos > 2) throw UsageError("qos must be 0, 1 or 2");
        if (after.count() <= 0) {
            broker_.publish(std::move(m), now());
            arm();
            return;
        }
        modem_.sched().call_after(after, [w = weak_from_this(), m = std::move(m)]() mutable {
            if (auto self = w.lock()) {
                self->broker_.publish(std::move(m), self->now());
                self->arm();
            }
        });
    }
    std::vector<mqtt::ClientInfo> clients() const override { return broker_.clients(); }
    std::vector<mqtt::Message> retained() const override { return broker_.retained(); }
    std::vector<mqtt::Published> messages() const override {
        return {broker_.log().begin(), broker_.log().end()};
    }
    bool disconnect(const std::string& client_id, bool reset) override {
        const bool was = broker_.disconnect(client_id, reset, now());
        arm();
        return was;
    }
    std::uint64_t subscribe(const std::string& filter) override {
        if (!mqtt::valid_filter(filter))
            throw UsageError("'" + filter + "' is not a topic filter (+ and # stand alone)");
        const auto id = next_sub_++;
        subs_[id].filter = filter;
        return id;
    }
    void unsubscribe(std::uint64_t sub) override { subs_.erase(sub); }
    std::vector<mqtt::Published> take(std::unique_lock<std::mutex>& lk, std::uint64_t sub,
                                      std::optional<Duration> timeout) override {
        if (!subs_.count(sub)) throw UsageError("no such subscription");
        const auto pending = [&] {
            const auto it = subs_.find(sub);
            return it == subs_.end() || !it->second.pending.empty();
        };
        // What already arrived is handed over even after the module halted.
        if (!pending()) {
            std::optional<DeviceTime> deadline;
            if (timeout) deadline = now() + *timeout;
            modem_.sched().wait_until(lk, waiters_, deadline, pending);
        }
        const auto it = subs_.find(sub);
        if (it == subs_.end()) return {};
        std::vector<mqtt::Published> out(it->second.pending.begin(), it->second.pending.end());
        it->second.pending.clear();
        return out;
    }

  private:
    struct Conn {
        std::weak_ptr<MqttSession> session;
        Endpoint at;  // the listener it came in on
    };
    struct TestSubscription {
        std::string filter;
        std::deque<mqtt::Published> pending;
    };

    DeviceTime now() const { return modem_.sched().now(); }
    // One timer, at the broker's next keepalive deadline.
    void arm() {
        const auto due = broker_.next_deadline();
        if (due == timer_at_) return;
        if (timer_) modem_.sched().cancel(timer_);
        timer_ = 0;
        timer_at_ = due;
        if (!due) return;
        timer_ = modem_.sched().call_at(*due, [w = weak_from_this()] {
            auto self = w.lock();
            if (!self) return;
            self->timer_ = 0;
            self->timer_at_.reset();
            self->broker_.tick(self->now());
            self->arm();
        });
    }

    Modem& modem_;
    Broker broker_;
    std::map<Broker::ConnId, Conn> conns_;
    Broker::ConnId next_conn_ = 1;
    Scheduler::TimerId timer_ = 0;
    std::optional<DeviceTime> timer_at_;
    std::map<std::uint64_t, TestSubscription> subs_;
    std::uint64_t next_sub_ = 1;
    WaitQueue waiters_;
};

// One client connection: bytes in to the broker, the broker's bytes out.
class MqttSession final : public Session {
  public:
    MqttSession(std::shared_ptr<SharedBroker> broker, const Broker::Listener& listener, Endpoint at)
        : broker_(std::move(broker)), listener_(listener), at_(at) {}
    void start() {
        id_ = broker_->add(std::static_pointer_cast<MqttSession>(shared_from_this()), at_);
    }
    void on_open() override { broker_->opened(id_, remote(), listener_); }
    void on_data(std::string_view data) override {
        // The broker closed this connection (its socket is gone): what still
        // arrives is answered with RST, as a closed socket's host answers.
        if (ended_) {
            reset();
            return;
        }
        broker_->received(id_, data);
    }
    void on_eof() override {
        // The client closed its side, with or without DISCONNECT: the broker is
        // told at once (a will still set goes out now, as mosquitto sends it
        // on reading the end of the stream) and closes its side too.
        auto keep = shared_from_this();
        gone();
        close();
    }
    void on_closed() override {
        auto keep = shared_from_this();
        gone();
    }
    void write(std::string bytes) { send(bytes); }
    void end(bool rst) {
        ended_ = true;
        if (rst) {
            reset();
        } else {
            close();
        }
    }

  private:
    void gone() {
        if (gone_) return;
        gone_ = true;
        broker_->ended(id_);
    }

    std::shared_ptr<SharedBroker> broker_;
    const Broker::Listener& listener_;
    Endpoint at_;
    Broker::ConnId id_ = 0;
    bool gone_ = false;
    bool ended_ = false;  // the broker closed it
};

void SharedBroker::send(Broker::ConnId conn, std::string bytes) {
    const auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    if (auto s = it->second.session.lock()) s->write(std::move(bytes));
}

void SharedBroker::close(Broker::ConnId conn, bool reset) {
    const auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    if (auto s = it->second.session.lock()) s->end(reset);
}

// One mqtt port of a host: a listener of the host's broker.
class MqttListener final : public Service {
  public:
    MqttListener(ServiceContext ctx, std::shared_ptr<const MqttConfig> config,
                 std::shared_ptr<SharedBroker> broker)
        : Service(std::move(ctx)), config_(std::move(config)), broker_(std::move(broker)) {}

    std::shared_ptr<Session> open_session() override {
        auto s = std::make_shared<MqttSession>(broker_, config_->listener, context().at);
        s->start();
        return s;
    }
    void on_fault(const Fault& f) override { broker_->kick(f, context().at); }
    mqtt::BrokerAccess* broker_access() noexcept override { return broker_.get(); }

  private:
    std::shared_ptr<const MqttConfig> config_;
    std::shared_ptr<SharedBroker> broker_;
};

std::shared_ptr<Service> make(ServiceContext ctx, std::shared_ptr<const ServiceConfig> config) {
    auto c = std::static_pointer_cast<const MqttConfig>(config);
    auto& slot = (*ctx.host_shared)["mqtt"];
    auto broker = std::static_pointer_cast<SharedBroker>(slot);
    if (!broker) {
        broker = std::make_shared<SharedBroker>(*ctx.modem, c->broker);
        slot = broker;
    } else {
        const auto& first = broker->broker().config();
        if (first.max_qos != c->broker.max_qos || first.max_queued != c->broker.max_queued) {
            throw UsageError(
                "the mqtt ports of one host are one broker: max_qos and max_queued must agree");
        }
        for (const auto& m : c->broker.retained)
            broker->broker().retain(m);
    }
    return std::make_shared<MqttListener>(std::move(ctx), std::move(c), std::move(broker));
}

}  // namespace

ServiceKind mqtt_service() {
    return {
        "mqtt",
        true,
        false,
        "an MQTT 3.1/3.1.1 broker (the host's mqtt ports share it): QoS 0 and 1, retained "
        "messages, wills, persistent sessions, keepalive",
        {{"users", "a mapping of user name -> password (CONNACK 5 for a wrong one)"},
         {"anonymous", "clients without a user name may connect (default: no users given)"},
         {"max_packet", "the largest packet accepted (default 1MB)"},
         {"retained", "a mapping of topic -> payload, retained from power-on"},
         {"max_qos", "0 or 1 (default 1): the highest QoS granted to a subscription"},
         {"max_queued", "QoS 1 messages kept for an offline persistent session (default 1000)"}},
        parse,
        make};
}

}  // namespace qpysim::services
