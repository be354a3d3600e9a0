// mqtt: an MQTT 3.1 / 3.1.1 broker (the state machine in qpysim/mqtt.hpp says
// exactly what it does), one per host:port, shared by all its connections.
//
// Settings (all optional; `1883: mqtt` is an open broker):
//   users       a mapping of user name -> password; a client that gives a user
//               name must give its password (CONNACK 5 otherwise)
//   anonymous   clients without a user name may connect (default: true when
//               no users are given, false when some are)
//   retained    a mapping of topic -> payload, retained from power-on
//   max_qos     0 or 1 (default 1): the highest QoS a subscription is granted
//   max_packet  the largest packet accepted (default 1MB); a bigger one closes
//               the connection
//   max_queued  QoS 1 messages kept per offline persistent session (default 1000)
// With `tls:` it is an MQTT-over-TLS broker (port 8883 by convention). Tests
// reach it as Device.broker(host, port): publish, subscribe, clients, retained
// messages, what was published, and disconnecting a client.
#include <algorithm>

#include "kinds.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/mqtt.hpp"

namespace qpysim::services {

namespace {

struct MqttConfig final : ServiceConfig {
    mqtt::Broker::Config broker;
    std::string summary() const override {
        std::string s = broker.users.empty() ? std::string("open")
                                             : std::to_string(broker.users.size()) +
                                                   (broker.users.size() == 1 ? " user" : " users");
        if (!broker.users.empty() && broker.anonymous) s += " and anonymous";
        if (!broker.retained.empty())
            s += ", " + std::to_string(broker.retained.size()) + " retained";
        return s;
    }
};

std::shared_ptr<const ServiceConfig> parse(const ConfigReader& r, const YAML::Node& n) {
    auto c = std::make_shared<MqttConfig>();
    auto& b = c->broker;
    if (!n || n.IsNull()) return c;
    r.expect_map(n, "mqtt");
    r.check_keys(n, {"users", "anonymous", "retained", "max_qos", "max_packet", "max_queued"},
                 "mqtt");
    if (const auto v = n["users"]) {
        r.expect_map(v, "users");
        for (const auto& kv : v)
            b.users[r.scalar(kv.first, "a user name")] = r.scalar(kv.second, "a password");
    }
    b.anonymous = b.users.empty();
    if (const auto v = n["anonymous"]) b.anonymous = r.boolean(v, "anonymous");
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
    if (const auto v = n["max_qos"]) b.max_qos = static_cast<int>(r.number(v, "max_qos", 0, 1));
    if (const auto v = n["max_packet"]) {
        const std::string text = r.scalar(v, "max_packet");
        const auto bytes = parse_bytes(text);
        if (!bytes || *bytes < 2 || *bytes > 268435455)
            r.fail(v.Mark(), "max_packet must be a size up to 256MB, got '" + text + "'");
        b.max_packet = static_cast<std::size_t>(*bytes);
    }
    if (const auto v = n["max_queued"])
        b.max_queued = static_cast<std::size_t>(r.number(v, "max_queued", 0, 1e6));
    return c;
}

class MqttService;

// One client connection: bytes in to the broker, the broker's bytes out.
class MqttSession final : public Session {
  public:
    MqttSession(std::shared_ptr<MqttService> service, mqtt::Broker::ConnId id)
        : service_(std::move(service)), id_(id) {}
    void on_open() override;
    void on_data(std::string_view data) override;
    void on_eof() override;
    void on_closed() override;
    void write(std::string bytes) { send(bytes); }
    void end(bool rst) {
        if (rst) {
            reset();
        } else {
            close();
        }
    }

  private:
    void gone();

    std::shared_ptr<MqttService> service_;
    mqtt::Broker::ConnId id_;
    bool gone_ = false;
};

class MqttService final : public Service, public mqtt::Broker::Host, public mqtt::BrokerAccess {
  public:
    MqttService(ServiceContext ctx, const MqttConfig& config)
        : Service(std::move(ctx)), broker_(config.broker, *this, event_base()) {}

    std::shared_ptr<Session> open_session() override {
        auto self = std::static_pointer_cast<MqttService>(shared_from_this());
        const auto id = next_conn_++;
        auto s = std::make_shared<MqttSession>(self, id);
        sessions_[id] = s;
        return s;
    }
    void on_fault(const Fault& f) override {
        broker_.kick(f, now());
        arm();
    }

    // ---- the sessions' side
    void opened(mqtt::Broker::ConnId id, const Endpoint& peer) {
        broker_.opened(id, peer.to_string(), now());
        arm();
    }
    void received(mqtt::Broker::ConnId id, std::string_view bytes) {
        broker_.received(id, bytes, now());
        arm();
    }
    void ended(mqtt::Broker::ConnId id) {
        sessions_.erase(id);
        broker_.lost(id, now());
        arm();
    }

    // ---- Broker::Host
    void send(mqtt::Broker::ConnId conn, std::string bytes) override {
        if (auto s = session(conn)) s->write(std::move(bytes));
    }
    void close(mqtt::Broker::ConnId conn, bool reset) override {
        if (auto s = session(conn)) s->end(reset);
    }
    ServiceVerdict ask(const ServiceEvent& ev) override { return modem().service_faults(ev); }
    void note(const std::string& what,
              const std::vector<std::pair<std::string, std::string>>& details) override {
        if (!modem().tracing()) return;
        TraceEvent t(now(), "mqtt");
        t.str("at", context().at.to_string()).str("event", what);
        for (const auto& [k, v] : details)
            t.str(k, v);
        modem().trace_event(std::move(t));
    }
    void routed(const mqtt::Published& p) override {
        bool any = false;
        for (auto& [id, sub] : subs_) {
            if (!mqtt::topic_matches(sub.filter, p.message.topic)) continue;
            sub.pending.push_back(p);
            any = true;
        }
        if (any) modem().sched().notify(waiters_);
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
        modem().sched().call_after(after, [w = weak_from_this(), m = std::move(m)]() mutable {
            if (auto self = std::static_pointer_cast<MqttService>(w.lock())) {
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
        std::optional<DeviceTime> deadline;
        if (timeout) deadline = now() + *timeout;
        modem().sched().wait_until(lk, waiters_, deadline, [&] {
            const auto it = subs_.find(sub);
            return it == subs_.end() || !it->second.pending.empty();
        });
        const auto it = subs_.find(sub);
        if (it == subs_.end()) return {};
        std::vector<mqtt::Published> out(it->second.pending.begin(), it->second.pending.end());
        it->second.pending.clear();
        return out;
    }

  private:
    struct TestSubscription {
        std::string filter;
        std::deque<mqtt::Published> pending;
    };

    ServiceEvent event_base() const {
        ServiceEvent ev;
        ev.service = context().at;
        return ev;
    }
    DeviceTime now() const { return modem().sched().now(); }
    std::shared_ptr<MqttSession> session(mqtt::Broker::ConnId id) const {
        const auto it = sessions_.find(id);
        return it == sessions_.end() ? nullptr : it->second.lock();
    }
    // One timer, at the broker's next keepalive deadline.
    void arm() {
        const auto due = broker_.next_deadline();
        if (due == timer_at_) return;
        if (timer_) modem().sched().cancel(timer_);
        timer_ = 0;
        timer_at_ = due;
        if (!due) return;
        timer_ = modem().sched().call_at(*due, [w = weak_from_this()] {
            auto self = std::static_pointer_cast<MqttService>(w.lock());
            if (!self) return;
            self->timer_ = 0;
            self->timer_at_.reset();
            self->broker_.tick(self->now());
            self->arm();
        });
    }

    mqtt::Broker broker_;
    std::map<mqtt::Broker::ConnId, std::weak_ptr<MqttSession>> sessions_;
    mqtt::Broker::ConnId next_conn_ = 1;
    Scheduler::TimerId timer_ = 0;
    std::optional<DeviceTime> timer_at_;
    std::map<std::uint64_t, TestSubscription> subs_;
    std::uint64_t next_sub_ = 1;
    WaitQueue waiters_;
};

void MqttSession::on_open() {
    service_->opened(id_, remote());
}

void MqttSession::on_data(std::string_view data) {
    service_->received(id_, data);
}

void MqttSession::on_eof() {
    // The client closed its side, with or without DISCONNECT: the broker is
    // told at once (a will still set goes out now, as mosquitto sends it on
    // reading the end of the stream) and closes its side too.
    auto keep = shared_from_this();
    gone();
    close();
}

void MqttSession::on_closed() {
    auto keep = shared_from_this();
    gone();
}

void MqttSession::gone() {
    if (gone_) return;
    gone_ = true;
    service_->ended(id_);
}

}  // namespace

ServiceKind mqtt_service() {
    return {
        "mqtt",
        true,
        false,
        "an MQTT 3.1/3.1.1 broker: QoS 0 and 1, retained messages, wills, persistent "
        "sessions, keepalive",
        {{"users", "a mapping of user name -> password (CONNACK 5 for a wrong one)"},
         {"anonymous", "clients without a user name may connect (default: no users given)"},
         {"retained", "a mapping of topic -> payload, retained from power-on"},
         {"max_qos", "0 or 1 (default 1): the highest QoS granted to a subscription"},
         {"max_packet", "the largest packet accepted (default 1MB)"},
         {"max_queued", "QoS 1 messages kept for an offline persistent session (default 1000)"}},
        parse,
        [](ServiceContext ctx,
           std::shared_ptr<const ServiceConfig> config) -> std::shared_ptr<Service> {
            return std::make_shared<MqttService>(std::move(ctx),
                                                 static_cast<const MqttConfig&>(*config));
        }};
}

}  // namespace qpysim::services
