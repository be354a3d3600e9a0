#include "qpysim/services.hpp"

#include <algorithm>

#include "qpysim/modem.hpp"
#include "services/kinds.hpp"

namespace qpysim {

namespace {

// The receive window a virtual server advertises.
constexpr std::uint64_t kWindow = 64 * 1024;
constexpr std::size_t kMaxSegment = 64 * 1024;

ServiceRegistry make_registry() {
    ServiceRegistry r;
    r.add(services::echo_service());
    r.add(services::discard_service());
    r.add(services::http_service());
    r.add(services::script_service());
    r.add(services::mqtt_service());
    r.add(services::ntp_service());
    return r;
}

}  // namespace

// ---------------------------------------------------------------- registry

void ServiceRegistry::add(ServiceKind k) {
    kinds_.push_back(std::move(k));
}

const ServiceKind* ServiceRegistry::find(const std::string& name) const noexcept {
    const auto it = std::find_if(kinds_.begin(), kinds_.end(),
                                 [&](const ServiceKind& k) { return k.name == name; });
    return it == kinds_.end() ? nullptr : &*it;
}

const ServiceRegistry& builtin_services() {
    static const ServiceRegistry registry = make_registry();
    return registry;
}

std::shared_ptr<Service> make_service(const ServiceSpec& spec, ServiceContext ctx) {
    const ServiceKind* kind = builtin_services().find(spec.kind);
    if (!kind) throw UsageError("no service kind '" + spec.kind + "'");
    auto service = kind->make(ctx, spec.config);
    if (spec.tls) service = make_tls_service(std::move(service), *spec.tls, std::move(ctx));
    return service;
}

namespace services {

std::shared_ptr<const ServiceConfig> no_settings(const ConfigReader& r, const YAML::Node& n,
                                                 const std::string& kind) {
    if (n && !n.IsNull() && !(n.IsMap() && n.size() == 0)) {
        r.fail(n.Mark(), kind + " has no settings");
    }
    return std::make_shared<ServiceConfig>();
}

}  // namespace services

// ---------------------------------------------------------------- PeerEnd

PeerEnd::PeerEnd(Modem& modem, std::shared_ptr<Connection> conn, Side side,
                 std::shared_ptr<Session> session)
    : modem_(modem), conn_(std::move(conn)), side_(side), session_(std::move(session)) {
    session_->attach(this);
}

PeerEnd::~PeerEnd() {
    session_->detach();
}

void PeerEnd::opened() {
    phase_ = Phase::open;
    session_->on_open();
}

void PeerEnd::finished() {
    // The connection is over: the session hears it last, and the modem lets go.
    phase_ = Phase::closed;
    session_->on_closed();
    session_->detach();
    modem_.forget_peer(this);
}

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
            if (phase_ == Phase::syn_received) opened();
            if (phase_ == Phase::closed) return;
            if (s.ack_fin && fin_sent_ && eof_) {
                // Both sides closed and our FIN acknowledged: nothing is left.
                finished();
                return;
            }
            flush();
            break;
        case Segment::Kind::Data:
            if (phase_ == Phase::syn_received) opened();
            if (phase_ == Phase::closed) return;
            consumed_ += s.data.size();
            session_->on_data(s.data.view());
            if (phase_ == Phase::closed) return;
            update_window();
            break;
        case Segment::Kind::Fin:
            if (eof_) break;
            eof_ = true;
            conn_->send(side_, Segment::ack(consumed_ + kWindow, true));
            session_->on_eof();
            if (phase_ != Phase::closed && fin_sent_ && s.ack_fin) finished();
            break;
        case Segment::Kind::Rst:
            finished();
            break;
        case Segment::Kind::Probe:     // answered by the Connection
        case Segment::Kind::ProbeAck:  // services send no probes
            break;
    }
}

void PeerEnd::on_give_up() {
    // Our segments to the device were lost TCP_MAXRTX times: abort, with no RST.
    auto self = shared_from_this();
    if (phase_ == Phase::closed) return;
    conn_->detach(side_);
    finished();
}

void PeerEnd::on_peer_detached() {
    auto self = shared_from_this();
    if (phase_ == Phase::closed) return;
    finished();
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
    auto self = shared_from_this();
    if (phase_ == Phase::closed) return;
    conn_->send(side_, Segment::rst());
    conn_->detach(side_);
    finished();
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

}  // namespace qpysim
