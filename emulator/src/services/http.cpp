// http: an HTTP/1.1 server answering from a list of routes (RFC 9112 framing).
//
// Settings, a list of routes, the first that matches a request answers it:
//   method     GET, POST... or * (default GET)
//   path       exact, or a prefix when it ends with * (default /); the query
//              string is not part of the match
//   status     100..599 (default 200); headers: a mapping, sent as given
//   body / body_file   the body (a file relative to the scenario)
//   delay      before the answer goes out (a duration)
//   close      close the connection after this answer (default false)
//   chunked    send the body with Transfer-Encoding: chunked (default false)
//   reflect    answer with the request itself as JSON: method, path, query,
//              headers (a list of [name, value]) and body (default false)
// A request no route matches gets 404. Requests are answered in order on a
// connection (a delayed answer holds back the next); HTTP/1.0 requests and
// "Connection: close" close the connection after the answer. The http_status
// and http_delay faults change the answer of matching requests.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "kinds.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/trace.hpp"

namespace qpysim::services {

namespace {

struct HttpRoute {
    std::string method = "GET";
    std::string path = "/";
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    Duration delay{0};
    bool close = false;
    bool chunked = false;
    bool reflect = false;
};

struct HttpConfig final : ServiceConfig {
    std::vector<HttpRoute> routes;
    std::string summary() const override {
        return std::to_string(routes.size()) + (routes.size() == 1 ? " route" : " routes");
    }
};

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
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
        case 413:
            return "Content Too Large";
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

std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

HttpRoute parse_route(const ConfigReader& r, const YAML::Node& n) {
    r.expect_map(n, "an http route");
    r.check_keys(n,
                 {"method", "path", "status", "headers", "body", "body_file", "delay", "close",
                  "chunked", "reflect"},
                 "an http route");
    HttpRoute route;
    if (const auto v = n["method"]) route.method = r.scalar(v, "method");
    if (const auto v = n["path"]) route.path = r.scalar(v, "path");
    if (const auto v = n["status"]) {
        const auto st = r.unsigned_int(v, "status");
        if (st < 100 || st > 599) r.fail(v.Mark(), "status must be 100..599");
        route.status = static_cast<int>(st);
    }
    if (const auto v = n["headers"]) {
        r.expect_map(v, "headers");
        for (const auto& kv : v) {
            route.headers.emplace_back(r.scalar(kv.first, "a header name"),
                                       r.scalar(kv.second, "a header value"));
        }
    }
    if (n["body"] && n["body_file"])
        r.fail(n["body_file"].Mark(), "give body or body_file, not both");
    if (const auto v = n["body"]) route.body = r.scalar(v, "body");
    if (const auto v = n["body_file"]) route.body = r.file(v, "body_file");
    if (const auto v = n["delay"]) route.delay = r.duration(v, "delay");
    if (const auto v = n["close"]) route.close = r.boolean(v, "close");
    if (const auto v = n["chunked"]) route.chunked = r.boolean(v, "chunked");
    if (const auto v = n["reflect"]) route.reflect = r.boolean(v, "reflect");
    if (route.reflect && (n["body"] || n["body_file"]))
        r.fail(n["reflect"].Mark(), "a reflect route makes its own body: give no body");
    return route;
}

struct Request {
    std::string method, path, query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool close = false;
};

// Answers complete requests in order; a delayed answer holds back the next.
class HttpSession final : public Session {
  public:
    HttpSession(const Service& service, const HttpConfig& config)
        : service_(service), config_(config) {}

    void on_data(std::string_view data) override {
        in_.append(data);
        serve();
    }

    void on_eof() override {
        eof_ = true;
        if (!busy_) close();
    }

  private:
    Modem& modem() const { return service_.modem(); }

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
        std::string target = sp1 == std::string::npos ? "/" : line.substr(sp1 + 1, sp2 - sp1 - 1);
        if (const auto q = target.find('?'); q != std::string::npos) {
            r.query = target.substr(q + 1);
            target.resize(q);
        }
        r.path = target;
        r.close = line.size() >= 8 && line.compare(line.size() - 8, 8, "HTTP/1.0") == 0;
        while (pos != std::string::npos && pos < head.size()) {
            const auto next = head.find("\r\n", pos + 2);
            const std::string h = head.substr(pos + 2, next - pos - 2);
            const auto colon = h.find(':');
            if (colon != std::string::npos) {
                const std::string name = h.substr(0, colon);
                std::string value = h.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                r.headers.emplace_back(name, value);
                if (lower(name) == "content-length")
                    length = std::strtoul(value.c_str(), nullptr, 10);
                if (lower(name) == "connection") r.close = lower(value) == "close";
            }
            pos = next;
        }
        if (in_.size() < head_end + 4 + length) return std::nullopt;  // body still coming
        r.body = in_.substr(head_end + 4, length);
        in_.erase(0, head_end + 4 + length);
        return r;
    }

    const HttpRoute* match(const Request& r) const {
        for (const auto& route : config_.routes) {
            const bool method = route.method == "*" || route.method == r.method;
            const bool path = !route.path.empty() && route.path.back() == '*'
                                  ? r.path.compare(0, route.path.size() - 1, route.path, 0,
                                                   route.path.size() - 1) == 0
                                  : route.path == r.path;
            if (method && path) return &route;
        }
        return nullptr;
    }

    static std::string reflect(const Request& r) {
        std::string j = "{\"method\": " + json_string(r.method) +
                        ", \"path\": " + json_string(r.path) +
                        ", \"query\": " + json_string(r.query) + ", \"headers\": [";
        for (std::size_t i = 0; i < r.headers.size(); ++i) {
            j += (i ? ", [" : "[") + json_string(r.headers[i].first) + ", " +
                 json_string(r.headers[i].second) + "]";
        }
        return j + "], \"body\": " + json_string(r.body) + "}\n";
    }

    std::string answer(const Request& request, bool& close_after, Duration& delay) {
        static const HttpRoute not_found{"*",         "*",   404,   {},   "not found\n",
                                         Duration{0}, false, false, false};
        const HttpRoute* found = match(request);
        const HttpRoute& route = found ? *found : not_found;
        int status = route.status;
        std::string body = route.reflect ? reflect(request) : route.body;
        auto headers = route.headers;
        delay = route.delay;
        ServiceEvent ev;
        ev.protocol = "http";
        ev.action = "request";
        ev.service = service_.context().at;
        ev.method = request.method;
        ev.path = request.path;
        const ServiceVerdict v = modem().service_faults(ev);
        if (v.status && *v.status != status) {
            status = *v.status;
            body = v.body.value_or(std::string(reason_phrase(status)) + "\n");
            headers.clear();  // the route's headers described its own answer
        } else if (v.body) {
            body = *v.body;
        }
        delay += v.delay;
        close_after = route.close || request.close;
        std::string response =
            "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
        bool has_length = false;
        for (const auto& [k, val] : headers) {
            response += k + ": " + val + "\r\n";
            has_length = has_length || lower(k) == "content-length";
        }
        const bool chunked = route.chunked && !v.status;
        if (route.reflect && !v.status) response += "Content-Type: application/json\r\n";
        if (chunked) {
            response += "Transfer-Encoding: chunked\r\n";
        } else if (!has_length) {
            response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        }
        if (close_after) response += "Connection: close\r\n";
        response += "\r\n";
        if (request.method == "HEAD") {
            // RFC 9110 9.3.2: the headers of a GET, no body.
        } else if (chunked) {
            constexpr std::size_t kChunk = 512;
            for (std::size_t at = 0; at < body.size(); at += kChunk) {
                const std::string piece = body.substr(at, kChunk);
                char size[20];
                std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
                response += size + piece + "\r\n";
            }
            response += "0\r\n\r\n";
        } else {
            response += body;
        }
        TraceEvent t(modem().sched().now(), "http");
        t.str("at", service_.context().at.to_string())
            .str("request", request.method + " " + request.path)
            .num("status", status);
        if (v.acted()) t.str("fault", v.why);
        modem().trace_event(std::move(t));
        return response;
    }

    void serve() {
        while (!busy_ && is_open()) {
            auto request = take_request();
            if (!request) break;
            bool close_after = false;
            Duration delay{0};
            std::string response = answer(*request, close_after, delay);
            if (delay.count() > 0) {
                busy_ = true;
                modem().sched().call_after(
                    delay, [w = weak_from_this(), response = std::move(response), close_after] {
                        auto self = std::static_pointer_cast<HttpSession>(w.lock());
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

    const Service& service_;
    const HttpConfig& config_;
    std::string in_;
    bool busy_ = false;
    bool eof_ = false;
};

}  // namespace

ServiceKind http_service() {
    return {"http",
            true,
            false,
            "an HTTP/1.1 server answering from a list of routes; anything else is a 404",
            {{"method", "GET, POST... or * (default GET)"},
             {"path", "exact, or a prefix ending in * (default /); the query is not matched"},
             {"status", "100..599 (default 200)"},
             {"headers", "a mapping of header: value, sent as given"},
             {"body", "the body (text)"},
             {"body_file", "the body from a file, relative to the scenario"},
             {"delay", "before the answer goes out (a duration)"},
             {"close", "close the connection after this answer (default false)"},
             {"chunked", "send the body as Transfer-Encoding: chunked (default false)"},
             {"reflect", "answer with the request as JSON: method, path, query, headers, body"}},
            [](const ConfigReader& r, const YAML::Node& n) -> std::shared_ptr<const ServiceConfig> {
                if (!n.IsSequence()) r.fail(n.Mark(), "http must be a list of routes");
                auto c = std::make_shared<HttpConfig>();
                for (const auto& route : n)
                    c->routes.push_back(parse_route(r, route));
                return c;
            },
            [](ServiceContext ctx, std::shared_ptr<const ServiceConfig> config) {
                return make_per_connection<HttpSession, HttpConfig>(std::move(ctx), config);
            }};
}

}  // namespace qpysim::services
