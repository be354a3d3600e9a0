#include "qpysim/mqtt.hpp"

#include <algorithm>

namespace qpysim::mqtt {

namespace {

constexpr std::size_t kLogLimit = 10000;
constexpr std::uint8_t kReservedTopLevel = '$';

// Reads the fields of one packet body; any short read sets ok = false.
class Fields {
  public:
    explicit Fields(std::string_view s) : s_(s) {}
    std::uint8_t u8() {
        if (pos_ + 1 > s_.size()) return fail();
        return static_cast<std::uint8_t>(s_[pos_++]);
    }
    std::uint16_t u16() {
        if (pos_ + 2 > s_.size()) return fail();
        const auto v = static_cast<std::uint16_t>((static_cast<std::uint8_t>(s_[pos_]) << 8) |
                                                  static_cast<std::uint8_t>(s_[pos_ + 1]));
        pos_ += 2;
        return v;
    }
    std::string str() {
        const std::uint16_t n = u16();
        if (!ok_ || pos_ + n > s_.size()) {
            fail();
            return {};
        }
        std::string v(s_.substr(pos_, n));
        pos_ += n;
        return v;
    }
    std::string rest() {
        std::string v(s_.substr(std::min(pos_, s_.size())));
        pos_ = s_.size();
        return v;
    }
    bool done() const noexcept { return pos_ >= s_.size(); }
    bool ok() const noexcept { return ok_; }

  private:
    std::uint8_t fail() {
        ok_ = false;
        pos_ = s_.size();
        return 0;
    }
    std::string_view s_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

std::string u16(std::uint16_t v) {
    return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

}  // namespace

const char* to_string(Type t) noexcept {
    switch (t) {
        case Type::connect:
            return "CONNECT";
        case Type::connack:
            return "CONNACK";
        case Type::publish:
            return "PUBLISH";
        case Type::puback:
            return "PUBACK";
        case Type::pubrec:
            return "PUBREC";
        case Type::pubrel:
            return "PUBREL";
        case Type::pubcomp:
            return "PUBCOMP";
        case Type::subscribe:
            return "SUBSCRIBE";
        case Type::suback:
            return "SUBACK";
        case Type::unsubscribe:
            return "UNSUBSCRIBE";
        case Type::unsuback:
            return "UNSUBACK";
        case Type::pingreq:
            return "PINGREQ";
        case Type::pingresp:
            return "PINGRESP";
        case Type::disconnect:
            return "DISCONNECT";
    }
    return "?";
}

// ---------------------------------------------------------------- framing

std::optional<Packet> Decoder::next() {
    if (!error_.empty()) return std::nullopt;
    if (pos_ > 4096 && pos_ * 2 > in_.size()) {
        in_.erase(0, pos_);
        pos_ = 0;
    }
    if (in_.size() - pos_ < 2) return std::nullopt;
    const auto first = static_cast<std::uint8_t>(in_[pos_]);
    std::size_t length = 0;
    std::size_t i = 1;
    for (int shift = 0;; shift += 7, ++i) {
        if (i > 4) {
            error_ = "malformed remaining length";
            return std::nullopt;
        }
        if (pos_ + i >= in_.size()) return std::nullopt;  // the length is still coming
        const auto b = static_cast<std::uint8_t>(in_[pos_ + i]);
        length |= static_cast<std::size_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
    }
    const std::size_t header = i + 1;
    const auto type = static_cast<std::uint8_t>(first >> 4);
    if (type == 0 || type == 15) {
        error_ = "reserved packet type " + std::to_string(type);
        return std::nullopt;
    }
    if (length > max_) {
        error_ = "packet of " + std::to_string(length) + " bytes over the limit of " +
                 std::to_string(max_);
        return std::nullopt;
    }
    if (in_.size() - pos_ < header + length) return std::nullopt;
    Packet p;
    p.type = static_cast<Type>(type);
    p.flags = first & 0x0f;
    p.body = in_.substr(pos_ + header, length);
    pos_ += header + length;
    return p;
}

std::string encode(Type type, std::uint8_t flags, std::string_view body) {
    std::string out(1, static_cast<char>((static_cast<std::uint8_t>(type) << 4) | flags));
    std::size_t n = body.size();
    do {
        auto b = static_cast<std::uint8_t>(n & 0x7f);
        n >>= 7;
        if (n) b |= 0x80;
        out += static_cast<char>(b);
    } while (n);
    out.append(body);
    return out;
}

std::string field(std::string_view s) {
    return u16(static_cast<std::uint16_t>(s.size())) + std::string(s);
}

// ---------------------------------------------------------------- topics

bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<std::uint8_t>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c == 0) return false;  // U+0000 is not allowed (MQTT 1.5.3)
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;  // cut short
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<std::uint8_t>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Overlong forms, surrogates and code points past U+10FFFF are invalid.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

bool valid_topic(std::string_view topic) noexcept {
    return !topic.empty() && topic.find_first_of("+#") == std::string_view::npos &&
           valid_utf8(topic);
}

bool valid_filter(std::string_view filter) noexcept {
    if (filter.empty() || !valid_utf8(filter)) return false;
    std::size_t start = 0;
    for (;;) {
        const auto end = filter.find('/', start);
        const auto level = filter.substr(start, end == std::string_view::npos ? end : end - start);
        if (level.find_first_of("+#") != std::string_view::npos && level.size() != 1) return false;
        if (level == "#" && end != std::string_view::npos) return false;  // # ends the filter
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
    // Wildcards at the first level do not match $-topics (MQTT 4.7.2).
    if (!topic.empty() && static_cast<std::uint8_t>(topic[0]) == kReservedTopLevel &&
        !filter.empty() && (filter[0] == '+' || filter[0] == '#')) {
        return false;
    }
    std::size_t f = 0;
    std::size_t t = 0;
    for (;;) {
        const auto fend = filter.find('/', f);
        const auto flevel = filter.substr(f, fend == std::string_view::npos ? fend : fend - f);
        if (flevel == "#") return true;  // the rest, the parent level included
        if (t > topic.size()) return false;
        const auto tend = topic.find('/', t);
        const auto tlevel = topic.substr(t, tend == std::string_view::npos ? tend : tend - t);
        if (flevel != "+" && flevel != tlevel) return false;
        const bool flast = fend == std::string_view::npos;
        const bool tlast = tend == std::string_view::npos;
        if (flast || tlast) {
            if (flast && tlast) return true;
            // "a/#" matches "a": the filter's next (and last) level is #.
            return tlast && filter.substr(fend + 1) == "#";
        }
        f = fend + 1;
        t = tend + 1;
    }
}

// ---------------------------------------------------------------- Broker

Broker::Broker(Config config, Host& host, ServiceEvent base)
    : config_(std::move(config)), host_(host), base_(std::move(base)) {
    base_.protocol = "mqtt";
    for (const auto& m : config_.retained)
        retain(m);
}

void Broker::retain(const Message& m) {
    if (!m.payload.empty()) retained_[m.topic] = m;
}

void Broker::note(ConnId conn, const std::string& what, const NoteFields& details) {
    host_.note(conn, what, details);
}

void Broker::opened(ConnId conn, const std::string& peer, DeviceTime now,
                    const Listener& listener) {
    Conn c(listener.max_packet);
    c.listener = &listener;
    c.id = conn;
    c.peer = peer;
    c.last_heard = now;
    conns_.emplace(conn, std::move(c));
}

void Broker::received(ConnId conn, std::string_view bytes, DeviceTime now) {
    const auto it = conns_.find(conn);
    if (it == conns_.end() || it->second.closing) return;
    it->second.last_heard = now;
    it->second.decoder.feed(bytes);
    // One packet at a time: handling one may end the connection.
    for (;;) {
        const auto c = conns_.find(conn);
        if (c == conns_.end() || c->second.closing) return;
        auto p = c->second.decoder.next();
        if (!p) {
            if (!c->second.decoder.error().empty())
                violation(c->second, c->second.decoder.error(), now);
            return;
        }
        handle(c->second, std::move(*p), now);
    }
}

void Broker::lost(ConnId conn, DeviceTime now) {
    const auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    if (!it->second.closing) {
        if (it->second.connected) {
            note(conn, "lost", {NoteField::str("client", it->second.session->client_id)});
        }
        detach(it->second, true, now);
    }
    conns_.erase(it);
}

std::optional<DeviceTime> Broker::next_deadline() const {
    std::optional<DeviceTime> at;
    for (const auto& [id, c] : conns_) {
        if (!c.connected || c.closing || c.keepalive == 0) continue;
        const DeviceTime due = c.last_heard + std::chrono::milliseconds(c.keepalive * 1500);
        if (!at || due < *at) at = due;
    }
    return at;
}

void Broker::tick(DeviceTime now) {
    std::vector<ConnId> late;
    for (const auto& [id, c] : conns_) {
        if (!c.connected || c.closing || c.keepalive == 0) continue;
        if (now >= c.last_heard + std::chrono::milliseconds(c.keepalive * 1500)) late.push_back(id);
    }
    for (const ConnId id : late) {
        const auto it = conns_.find(id);
        if (it != conns_.end()) drop(it->second, "keepalive expired", true, false, now);
    }
}

void Broker::handle(Conn& c, Packet p, DeviceTime now) {
    if (!c.connected && p.type != Type::connect) {
        violation(c, std::string(to_string(p.type)) + " before CONNECT", now);
        return;
    }
    // The fixed header's low nibble is reserved except on these (MQTT 2.2.2).
    const bool flagged = p.type == Type::publish || p.type == Type::pubrel ||
                         p.type == Type::subscribe || p.type == Type::unsubscribe;
    const std::uint8_t required = flagged && p.type != Type::publish ? 0x2 : 0x0;
    if (p.type != Type::publish && p.flags != required) {
        violation(c, std::string("reserved flags set on ") + to_string(p.type), now);
        return;
    }
    switch (p.type) {
        case Type::connect:
            if (c.connected) {
                violation(c, "a second CONNECT", now);
                return;
            }
            on_connect(c, p, now);
            return;
        case Type::publish:
            on_publish(c, p, now);
            return;
        case Type::puback:
        case Type::pubrel:
        case Type::pubrec:
        case Type::pubcomp:
            on_ack(c, p, now);
            return;
        case Type::subscribe:
            on_subscribe(c, p, now);
            return;
        case Type::unsubscribe:
            on_unsubscribe(c, p, now);
            return;
        case Type::pingreq:
            host_.send(c.id, encode(Type::pingresp, 0, {}));
            return;
        case Type::disconnect: {
            note(c.id, "disconnect", {NoteField::str("client", c.session->client_id)});
            c.will.reset();  // a clean goodbye: the will is discarded
            drop(c, "", false, false, now);
            return;
        }
        case Type::connack:
        case Type::suback:
        case Type::unsuback:
        case Type::pingresp:
            violation(c, std::string(to_string(p.type)) + " from a client", now);
            return;
    }
}

void Broker::on_connect(Conn& c, const Packet& p, DeviceTime now) {
    Fields f(p.body);
    const std::string name = f.str();
    const std::uint8_t level = f.u8();
    const std::uint8_t flags = f.u8();
    const std::uint16_t keepalive = f.u16();
    if (!f.ok()) {
        violation(c, "a short CONNECT", now);
        return;
    }
    const auto refuse = [&](int code, const std::string& why) {
        host_.send(c.id, encode(Type::connack, 0, std::string{'\0', static_cast<char>(code)}));
        note(c.id, "connack", {NoteField::num("code", code), NoteField::str("why", why)});
        drop(c, "", false, false, now);
    };
    if (name != "MQTT" && name != "MQIsdp") {
        violation(c, "unknown protocol name '" + name + "'", now);
        return;
    }
    if ((name == "MQTT" && level != 4) || (name == "MQIsdp" && level != 3)) {
        refuse(1, "protocol " + name + " level " + std::to_string(level) + " is not served");
        return;
    }
    const bool clean = flags & 0x02;
    const bool will = flags & 0x04;
    const int will_qos = (flags >> 3) & 0x03;
    const bool will_retain = flags & 0x20;
    const bool has_password = flags & 0x40;
    const bool has_user = flags & 0x80;
    if ((flags & 0x01) || will_qos == 3 || (!will && (will_qos || will_retain)) ||
        (level == 4 && has_password && !has_user)) {
        violation(c, "malformed CONNECT flags", now);
        return;
    }
    std::string client_id = f.str();
    std::optional<Message> will_msg;
    if (will) {
        Message m;
        m.topic = f.str();
        m.payload = f.str();
        m.qos = will_qos;
        m.retain = will_retain;
        if (f.ok() && !valid_topic(m.topic)) {
            violation(c, "an invalid will topic", now);
            return;
        }
        will_msg = std::move(m);
    }
    const std::string user = has_user ? f.str() : std::string();
    const std::string password = has_password ? f.str() : std::string();
    if (!f.ok() || !f.done() || !valid_utf8(client_id) || !valid_utf8(user)) {
        violation(c, "a malformed CONNECT payload", now);
        return;
    }
    if (client_id.empty()) {
        if (level == 3 || !clean) {
            refuse(2, "an empty client id needs clean session (MQTT 3.1.1)");
            return;
        }
        client_id = assign_id();
    } else if (level == 3 && client_id.size() > 23) {
        refuse(2, "a 3.1 client id has at most 23 characters");
        return;
    }
    const Listener& l = *c.listener;
    if (has_user && !l.users.empty()) {
        const auto it = l.users.find(user);
        if (it == l.users.end() || !has_password || it->second != password) {
            refuse(5, "bad user name or password");
            return;
        }
    } else if (!has_user && !l.anonymous) {
        refuse(5, "anonymous clients are not allowed");
        return;
    }
    ServiceEvent ev = base_;
    ev.action = "connect";
    ev.client = client_id;
    const ServiceVerdict v = host_.ask(c.id, ev);
    if (v.refuse) {
        refuse(*v.refuse, "fault " + v.why);
        return;
    }
    // A client id already connected: the old connection is closed (takeover).
    if (auto s = sessions_.find(client_id); s != sessions_.end() && s->second.conn) {
        const auto old = conns_.find(*s->second.conn);
        if (old != conns_.end())
            drop(old->second, "taken over by a new connection", true, false, now);
    }
    bool present = false;
    if (clean) {
        sessions_.erase(client_id);
    } else {
        present = sessions_.count(client_id) > 0;
    }
    Session& s = sessions_[client_id];
    s.client_id = client_id;
    s.clean = clean;
    s.conn = c.id;
    c.session = &s;
    c.connected = true;
    c.protocol = level;
    c.keepalive = keepalive;
    c.will = std::move(will_msg);
    c.username = user;
    c.last_heard = now;
    const bool session_present = present && level == 4;
    host_.send(c.id,
               encode(Type::connack, 0, std::string{static_cast<char>(session_present), '\0'}));
    note(c.id, "connect",
         {NoteField::str("client", client_id),
          NoteField::str("protocol", level == 4 ? "3.1.1" : "3.1"), NoteField::flag("clean", clean),
          NoteField::num("keepalive", keepalive),
          NoteField::flag("session_present", session_present)});
    // A resumed session: what was sent and not acknowledged goes again.
    for (const auto& [pid, m] : s.inflight)
        send_publish(s, m, pid, true);
    pump(s);
}

void Broker::on_publish(Conn& c, const Packet& p, DeviceTime now) {
    const int qos = (p.flags >> 1) & 0x03;
    const bool dup = p.flags & 0x08;
    if (qos == 3 || (qos == 0 && dup)) {
        violation(c, "malformed PUBLISH flags", now);
        return;
    }
    Fields f(p.body);
    Message m;
    m.topic = f.str();
    m.qos = qos;
    m.retain = p.flags & 0x01;
    const std::uint16_t pid = qos > 0 ? f.u16() : 0;
    m.payload = f.rest();
    if (!f.ok() || !valid_topic(m.topic) || (qos > 0 && pid == 0)) {
        violation(c, "a malformed PUBLISH (topic '" + m.topic + "')", now);
        return;
    }
    Session& s = *c.session;
    ServiceEvent ev = base_;
    ev.action = "publish";
    ev.dir = Direction::up;
    ev.client = s.client_id;
    ev.topic = m.topic;
    const ServiceVerdict v = host_.ask(c.id, ev);
    if (v.drop) {
        note(c.id, "dropped",
             {NoteField::str("client", s.client_id), NoteField::str("topic", m.topic),
              NoteField::str("fault", v.why)});
        return;  // lost on the way in: no acknowledgement, no delivery
    }
    // mosquitto's order: subscribers (the publisher itself among them) get
    // the message before the publisher gets its PUBACK. QoS 2 is released to
    // subscribers on PUBREL (MQTT 4.3.3, method B).
    if (qos == 2) {
        s.qos2_in.emplace(pid, std::move(m));  // a duplicate PUBLISH replaces nothing new
        host_.send(c.id, encode(Type::pubrec, 0, u16(pid)));
        return;
    }
    route(m, c.id, s.client_id, false, now);
    if (qos == 1) host_.send(c.id, encode(Type::puback, 0, u16(pid)));
}

void Broker::on_ack(Conn& c, const Packet& p, DeviceTime now) {
    Fields f(p.body);
    const std::uint16_t pid = f.u16();
    if (!f.ok()) return;
    Session& s = *c.session;
    if (p.type == Type::puback) {
        s.inflight.erase(pid);
        pump(s);
    } else if (p.type == Type::pubrel) {
        const auto it = s.qos2_in.find(pid);
        if (it != s.qos2_in.end()) {
            const Message m = std::move(it->second);
            s.qos2_in.erase(it);
            route(m, c.id, s.client_id, false, now);
        }
        host_.send(c.id, encode(Type::pubcomp, 0, u16(pid)));
    }
    // PUBREC and PUBCOMP: the broker sends no QoS 2, so there is nothing to do.
}

void Broker::on_subscribe(Conn& c, const Packet& p, DeviceTime now) {
    Fields f(p.body);
    const std::uint16_t pid = f.u16();
    std::string codes;
    std::vector<std::pair<std::string, int>> granted;
    while (f.ok() && !f.done()) {
        const std::string filter = f.str();
        const std::uint8_t q = f.u8();
        if (!f.ok()) break;
        if (q > 2 || !valid_filter(filter)) {
            violation(c, "a malformed SUBSCRIBE (filter '" + filter + "')", now);
            return;
        }
        const int g = std::min<int>(q, config_.max_qos);
        granted.emplace_back(filter, g);
        codes += static_cast<char>(g);
    }
    if (!f.ok() || granted.empty() || pid == 0) {
        violation(c, "a malformed SUBSCRIBE", now);
        return;
    }
    Session& s = *c.session;
    for (const auto& [filter, g] : granted) {
        s.subscriptions[filter] = g;
        note(c.id, "subscribe",
             {NoteField::str("client", s.client_id), NoteField::str("filter", filter),
              NoteField::num("qos", g)});
    }
    host_.send(c.id, encode(Type::suback, 0, u16(pid) + codes));
    // Retained messages for each new subscription, with the retain flag set.
    for (const auto& [filter, g] : granted) {
        for (const auto& [topic, m] : retained_) {
            if (!topic_matches(filter, topic)) continue;
            Message out = m;
            out.qos = std::min(m.qos, g);
            out.retain = true;
            deliver(s, std::move(out));
        }
    }
}

void Broker::on_unsubscribe(Conn& c, const Packet& p, DeviceTime now) {
    Fields f(p.body);
    const std::uint16_t pid = f.u16();
    std::vector<std::string> filters;
    while (f.ok() && !f.done())
        filters.push_back(f.str());
    if (!f.ok() || filters.empty()) {
        violation(c, "a malformed UNSUBSCRIBE", now);
        return;
    }
    for (const auto& filter : filters) {
        c.session->subscriptions.erase(filter);
        note(c.id, "unsubscribe",
             {NoteField::str("client", c.session->client_id), NoteField::str("filter", filter)});
    }
    host_.send(c.id, encode(Type::unsuback, 0, u16(pid)));
}

void Broker::violation(Conn& c, const std::string& why, DeviceTime now) {
    note(c.id, "protocol_error",
         {NoteField::str("client", c.session ? c.session->client_id : std::string()),
          NoteField::str("why", why)});
    drop(c, "", true, false, now);
}

void Broker::drop(Conn& c, const std::string& why, bool with_will, bool reset, DeviceTime now) {
    if (!why.empty() && c.session)
        note(c.id, "drop",
             {NoteField::str("client", c.session->client_id), NoteField::str("why", why)});
    detach(c, with_will, now);
    c.closing = true;
    // The last thing: closing may end the connection at once and erase c.
    host_.close(c.id, reset);
}

void Broker::detach(Conn& c, bool with_will, DeviceTime now) {
    std::string client;
    if (c.session) {
        Session& s = *c.session;
        client = s.client_id;
        c.session = nullptr;
        s.conn.reset();
        // A clean session lasts as long as its connection (MQTT 3.1.2.4).
        if (s.clean) sessions_.erase(s.client_id);
    }
    c.connected = false;
    if (with_will && c.will) {
        const Message will = std::move(*c.will);
        c.will.reset();
        note(c.id, "will", {NoteField::str("client", client), NoteField::str("topic", will.topic)});
        route(will, c.id, client, true, now);
    }
}

void Broker::publish(Message m, DeviceTime now) {
    route(m, 0, "", false, now);
}

void Broker::kick(const Fault& f, DeviceTime now, const std::function<bool(ConnId)>& which) {
    std::vector<std::pair<ConnId, bool>> hit;  // connection, reset
    for (const auto& [id, c] : conns_) {
        if (!c.connected || c.closing || !which(id)) continue;
        ServiceEvent ev = base_;
        ev.action = "client";
        ev.client = c.session->client_id;
        if (!f.effect->concerns(ev)) continue;
        ServiceVerdict v;
        f.effect->on_service(f, ev, v);
        if (v.disconnect) hit.emplace_back(id, v.reset);
    }
    // Dropping one may end it at once (a reset): look each up again.
    for (const auto& [id, reset] : hit) {
        const auto it = conns_.find(id);
        if (it != conns_.end()) drop(it->second, "fault " + f.spec.name, true, reset, now);
    }
}

bool Broker::disconnect(const std::string& client_id, bool reset, DeviceTime now) {
    const auto s = sessions_.find(client_id);
    if (s == sessions_.end() || !s->second.conn) return false;
    const auto it = conns_.find(*s->second.conn);
    if (it == conns_.end()) return false;
    drop(it->second, "disconnected by the test", true, reset, now);
    return true;
}

void Broker::route(const Message& m, ConnId from_conn, const std::string& from, bool will,
                   DeviceTime now) {
    Published p{now, from, m, will};
    log_.push_back(p);
    if (log_.size() > kLogLimit) log_.pop_front();
    host_.routed(p);
    if (m.retain) {
        if (m.payload.empty()) {
            retained_.erase(m.topic);  // an empty retained message clears it
        } else {
            retained_[m.topic] = m;
        }
    }
    note(from_conn, "publish",
         {NoteField::str("client", from), NoteField::str("topic", m.topic),
          NoteField::num("bytes", static_cast<long long>(m.payload.size())),
          NoteField::num("qos", m.qos), NoteField::flag("retain", m.retain)});
    for (auto& [id, s] : sessions_) {
        int best = -1;
        for (const auto& [filter, g] : s.subscriptions) {
            if (topic_matches(filter, m.topic)) best = std::max(best, g);
        }
        if (best < 0) continue;
        Message out = m;
        out.qos = std::min(m.qos, best);
        out.retain = false;  // matched an established subscription (MQTT 3.3.1.3)
        deliver(s, std::move(out));
    }
}

void Broker::deliver(Session& s, Message m) {
    if (!s.conn) {
        // Away: QoS 1 waits for the client, QoS 0 is not kept (as mosquitto).
        if (m.qos == 0) return;
        if (s.queue.size() >= config_.max_queued) {
            s.queue.pop_front();
            note(0, "queue_full", {NoteField::str("client", s.client_id)});
        }
        s.queue.push_back(std::move(m));
        return;
    }
    if (m.qos == 0) {
        send_publish(s, m, 0, false);
        return;
    }
    s.queue.push_back(std::move(m));
    pump(s);
}

void Broker::pump(Session& s) {
    while (s.conn && !s.queue.empty() && s.inflight.size() < config_.max_inflight) {
        std::uint16_t pid = s.next_pid;
        while (pid == 0 || s.inflight.count(pid))
            pid = static_cast<std::uint16_t>(pid + 1);
        s.next_pid = static_cast<std::uint16_t>(pid + 1);
        Message m = std::move(s.queue.front());
        s.queue.pop_front();
        const auto& stored = s.inflight.emplace(pid, std::move(m)).first->second;
        send_publish(s, stored, pid, false);
    }
}

void Broker::send_publish(Session& s, const Message& m, std::uint16_t pid, bool dup) {
    ServiceEvent ev = base_;
    ev.action = "publish";
    ev.dir = Direction::down;
    ev.client = s.client_id;
    ev.topic = m.topic;
    const ServiceVerdict v = host_.ask(*s.conn, ev);
    if (v.drop) {
        note(*s.conn, "dropped",
             {NoteField::str("client", s.client_id), NoteField::str("topic", m.topic),
              NoteField::str("fault", v.why)});
        return;  // lost on the way out; a QoS 1 message stays in flight
    }
    std::string body = field(m.topic);
    if (m.qos > 0) body += u16(pid);
    body += m.payload;
    const auto flags =
        static_cast<std::uint8_t>((dup ? 0x08 : 0) | (m.qos << 1) | (m.retain ? 1 : 0));
    host_.send(*s.conn, encode(Type::publish, flags, body));
}

std::string Broker::assign_id() {
    char buf[32];
    std::snprintf(buf, sizeof buf, "auto-%08llx", static_cast<unsigned long long>(++assigned_));
    return buf;
}

std::vector<ClientInfo> Broker::clients() const {
    std::vector<ClientInfo> out;
    for (const auto& [id, s] : sessions_) {
        ClientInfo info;
        info.client_id = id;
        info.connected = s.conn.has_value();
        info.clean_session = s.clean;
        info.subscriptions = s.subscriptions;
        info.queued = s.queue.size();
        info.inflight = s.inflight.size();
        if (s.conn) {
            const Conn& c = conns_.at(*s.conn);
            info.protocol = c.protocol;
            info.keepalive = c.keepalive;
            info.username = c.username;
            info.peer = c.peer;
        }
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<Message> Broker::retained() const {
    std::vector<Message> out;
    for (const auto& [topic, m] : retained_)
        out.push_back(m);
    return out;
}

}  // namespace qpysim::mqtt
