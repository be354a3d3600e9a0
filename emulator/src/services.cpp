#include "qpysim/services.hpp"

#include <algorithm>
#include <cctype>

#include "qpysim/modem.hpp"

namespace qpysim {

namespace {

// The receive window a virtual server advertises.
constexpr std::uint64_t kWindow = 64 * 1024;
constexpr std::size_t kMaxSegment = 64 * 1024;

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Status";
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// ---------------------------------------------------------------- echo, discard

class EchoEnd final : public PeerEnd {
  public:
    using PeerEnd::PeerEnd;

  protected:
    void on_data(std::string_view data) override { send(data); }
};

class DiscardEnd final : public PeerEnd {
  public:
    using PeerEnd::PeerEnd;

  protected:
    void on_data(std::string_view) override {}
};

// ---------------------------------------------------------------- http

// Answers complete requests in order; a delayed answer holds back the next.
class HttpEnd final : public PeerEnd {
  public:
    HttpEnd(Modem& modem, std::shared_ptr<Connection> conn, Side side,
            std::vector<HttpRoute> routes)
        : PeerEnd(modem, std::move(conn), side), routes_(std::move(routes)) {}

  protected:
    void on_data(std::string_view data) override {
        in_.append(data);
        serve();
    }

    void on_eof() override {
        eof_ = true;
        if (!busy_) close();
    }

  private:
    struct Request {
        std::string method, path;
        bool close = false;
    };

    // A whole request at the front of in_, if one has arrived.
    std::optional<Request> take_request() {
        const auto head_end = in_.find("\r\n\r\n");
        if (head_end == std::string::npos) return std::nullopt;
        const std::string head = in_.substr(0, head_end);
        std::size_t length = 0;
        Request r;
        std::size_t pos = head.find("\r\n");
        const std::string line = head.substr(0, pos);
        const auto sp1 = line.find(' ');
        const auto sp2 = line.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
        r.method = line.substr(0, sp1);
        r.path = sp1 == std::string::npos ? "/" : line.substr(sp1 + 1, sp2 - sp1 - 1);
        r.close = line.size() >= 8 && line.compare(line.size() - 8, 8, "HTTP/1.0") == 0;
        while (pos != std::string::npos && pos < head.size()) {
            const auto next = head.find("\r\n", pos + 2);
            const std::string h = head.substr(pos + 2, next - pos - 2);
            const auto colon = h.find(':');
            if (colon != std::string::npos) {
                const std::string name = lower(h.substr(0, colon));
                std::string value = h.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                if (name == "content-length") length = std::strtoul(value.c_str(), nullptr, 10);
                if (name == "connection") r.close = lower(value) == "close";
            }
            pos = next;
        }
        if (in_.size() < head_end + 4 + length) return std::nullopt;  // body still coming
        in_.erase(0, head_end + 4 + length);
        return r;
    }

    const HttpRoute* match(const Request& r) const {
        for (const auto& route : routes_) {
            const bool method = route.method == "*" || route.method == r.method;
            const bool path = !route.path.empty() && route.path.back() == '*'
                                  ? r.path.compare(0, route.path.size() - 1, route.path, 0,
                                                   route.path.size() - 1) == 0
                                  : route.path == r.path;
            if (method && path) return &route;
        }
        return nullptr;
    }

    void serve() {
        while (!busy_ && open()) {
            auto request = take_request();
            if (!request) break;
            static const HttpRoute not_found{"*", "*", 404, {}, "not found\n", Duration{0}, false};
            const HttpRoute& route = match(*request) ? *match(*request) : not_found;
            const bool close_after = route.close || request->close;
            std::string response = "HTTP/1.1 " + std::to_string(route.status) + " " +
                                   reason_phrase(route.status) + "\r\n";
            bool has_length = false;
            for (const auto& [k, v] : route.headers) {
                response += k + ": " + v + "\r\n";
                has_length = has_length || lower(k) == "content-length";
            }
            if (!has_length)
                response += "Content-Length: " + std::to_string(route.body.size()) + "\r\n";
            if (close_after) response += "Connection: close\r\n";
            response += "\r\n" + route.body;
            modem().trace_event(TraceEvent(modem().sched().now(), "http")
                                    .num("conn", static_cast<std::int64_t>(id()))
                                    .str("request", request->method + " " + request->path)
                                    .num("status", route.status));
            if (route.delay.count() > 0) {
                busy_ = true;
                modem().sched().call_after(
                    route.delay, [w = weak_from_this(), response, close_after] {
                        auto self = std::static_pointer_cast<HttpEnd>(w.lock());
                        if (!self) return;
                        self->busy_ = false;
                        self->respond(response, close_after);
                        self->serve();
                    });
                return;
            }
            respond(response, close_after);
        }
        if (!busy_ && eof_) close();
    }

    void respond(const std::string& response, bool close_after) {
        send(response);
        if (close_after) close();
    }

    std::vector<HttpRoute> routes_;
    std::string in_;
    bool busy_ = false;
    bool eof_ = false;
};

// ---------------------------------------------------------------- scripted dialogue

class ScriptEnd final : public PeerEnd {
  public:
    ScriptEnd(Modem& modem, std::shared_ptr<Connection> conn, Side side,
              std::vector<ScriptStep> steps)
        : PeerEnd(modem, std::move(conn), side), steps_(std::move(steps)) {}

  protected:
    void on_open() override { run(); }
    void on_data(std::string_view data) override {
        in_.append(data);
        run();
    }
    void on_eof() override {
        eof_ = true;
        run();
    }

  private:
    void run() {
        while (!waiting_ && next_ < steps_.size() && open()) {
            const ScriptStep& step = steps_[next_];
            switch (step.kind) {
                case ScriptStep::Kind::expect: {
                    const auto at = in_.find(step.text);
                    if (at == std::string::npos) {
                        if (eof_) close();  // what we wait for can no longer come
                        return;
                    }
                    in_.erase(0, at + step.text.size());
                    break;
                }
                case ScriptStep::Kind::send:
                    send(step.text);
                    break;
                case ScriptStep::Kind::delay:
                    waiting_ = true;
                    modem().sched().call_after(step.delay, [w = weak_from_this()] {
                        auto self = std::static_pointer_cast<ScriptEnd>(w.lock());
                        if (!self) return;
                        self->waiting_ = false;
                        ++self->next_;
                        self->run();
                    });
                    return;
                case ScriptStep::Kind::close:
                    close();
                    break;
                case ScriptStep::Kind::reset:
                    reset();
                    return;
            }
            ++next_;
        }
        // The script is over: stay until the device closes, then close too.
        if (next_ >= steps_.size() && eof_) close();
    }

    std::vector<ScriptStep> steps_;
    std::size_t next_ = 0;
    std::string in_;
    bool waiting_ = false;
    bool eof_ = false;
};

}  // namespace

const char* to_string(ServiceSpec::Kind k) noexcept {
    switch (k) {
        case ServiceSpec::Kind::echo:
            return "echo";
        case ServiceSpec::Kind::discard:
            return "discard";
        case ServiceSpec::Kind::http:
            return "http";
        case ServiceSpec::Kind::script:
            return "script";
        case ServiceSpec::Kind::listener:
            return "python";
    }
    return "?";
}

// ---------------------------------------------------------------- PeerEnd

PeerEnd::PeerEnd(Modem& modem, std::shared_ptr<Connection> conn, Side side)
    : modem_(modem), conn_(std::move(conn)), side_(side) {}

void PeerEnd::on_segment(const std::shared_ptr<Connection>& /*via*/, Segment s) {
    auto self = shared_from_this();
    if (phase_ == Phase::closed) return;
    switch (s.kind) {
        case Segment::Kind::Syn:
            // A first SYN, or the device retrying because our answer was lost.
            device_edge_ = std::max(device_edge_, s.window);
            advertised_ = consumed_ + kWindow;
            conn_->send(side_, Segment::syn_ack(advertised_));
            break;
        case Segment::Kind::SynAck:
            break;
        case Segment::Kind::Ack:
            device_edge_ = std::max(device_edge_, s.window);
            if (phase_ == Phase::syn_received) {
                phase_ = Phase::open;
                on_open();
            }
            if (s.ack_fin && fin_sent_ && eof_) {
                // Both sides closed and our FIN acknowledged: nothing is left.
                phase_ = Phase::closed;
                modem_.forget_peer(this);
                return;
            }
            flush();
            break;
        case Segment::Kind::Data:
            if (phase_ == Phase::syn_received) {
                phase_ = Phase::open;
                on_open();
            }
            consumed_ += s.data.size();
            on_data(s.data.view());
            update_window();
            break;
        case Segment::Kind::Fin:
            if (eof_) break;
            eof_ = true;
            conn_->send(side_, Segment::ack(consumed_ + kWindow, true));
            on_eof();
            if (fin_sent_ && s.ack_fin) {
                phase_ = Phase::closed;
                modem_.forget_peer(this);
            }
            break;
        case Segment::Kind::Rst:
            phase_ = Phase::closed;
            modem_.forget_peer(this);
            break;
        case Segment::Kind::Probe:     // answered by the Connection
        case Segment::Kind::ProbeAck:  // services send no probes
            break;
    }
}

void PeerEnd::on_give_up() {
    // Our segments to the device were lost TCP_MAXRTX times: abort, with no RST.
    auto self = shared_from_this();
    phase_ = Phase::closed;
    conn_->detach(side_);
    modem_.forget_peer(this);
}

void PeerEnd::on_peer_detached() {
    phase_ = Phase::closed;
    modem_.forget_peer(this);
}

void PeerEnd::send(std::string_view data) {
    if (phase_ == Phase::closed || fin_pending_ || data.empty()) return;
    out_.append(data);
    flush();
}

void PeerEnd::close() {
    if (phase_ == Phase::closed || fin_pending_) return;
    fin_pending_ = true;
    flush();
}

void PeerEnd::reset() {
    if (phase_ == Phase::closed) return;
    conn_->send(side_, Segment::rst());
    phase_ = Phase::closed;
    conn_->detach(side_);
    modem_.forget_peer(this);
}

void PeerEnd::flush() {
    while (!out_.empty() && sent_ < device_edge_) {
        const auto room = static_cast<std::size_t>(device_edge_ - sent_);
        Bytes chunk = out_.take(std::min(room, kMaxSegment));
        sent_ += chunk.size();
        conn_->send(side_, Segment::payload(std::move(chunk)));
    }
    if (out_.empty() && fin_pending_ && !fin_sent_) {
        fin_sent_ = true;
        conn_->send(side_, Segment::fin());
    }
}

void PeerEnd::update_window() {
    const std::uint64_t edge = consumed_ + kWindow;
    if (edge >= advertised_ + kWindow / 4) {
        conn_->send(side_, Segment::ack(edge));
        advertised_ = edge;
    }
}

std::shared_ptr<PeerEnd> make_service_end(Modem& modem, const ServiceSpec& spec,
                                          std::shared_ptr<Connection> conn, Side side) {
    switch (spec.kind) {
        case ServiceSpec::Kind::echo:
            return std::make_shared<EchoEnd>(modem, std::move(conn), side);
        case ServiceSpec::Kind::discard:
            return std::make_shared<DiscardEnd>(modem, std::move(conn), side);
        case ServiceSpec::Kind::http:
            return std::make_shared<HttpEnd>(modem, std::move(conn), side, spec.routes);
        case ServiceSpec::Kind::script:
            return std::make_shared<ScriptEnd>(modem, std::move(conn), side, spec.steps);
        case ServiceSpec::Kind::listener:
            break;
    }
    return nullptr;
}

// ---------------------------------------------------------------- UDP

UdpService::UdpService(Modem& modem, ServiceSpec::Kind kind, Endpoint at)
    : modem_(modem), kind_(kind), at_(at) {}

void UdpService::on_datagram(std::string data, Endpoint from) {
    if (kind_ == ServiceSpec::Kind::echo) modem_.send_datagram_from(at_, from, std::move(data), 0);
}

}  // namespace qpysim
