// The Modem as faults and the scenario's timeline act on it: applying and
// lifting faults, firing timeline entries, and the ModuleControl interface
// through which module-scope faults (coverage, registration, SIM, PDP,
// airplane mode, reboot, limits) change the emulated module.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "qpysim/host_gateway.hpp"
#include "qpysim/log.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim {

// ---------------------------------------------------------------- faults

Duration Modem::scenario_time() const {
    return config_.timeline_offset + sched_.now();
}

std::uint64_t Modem::apply_fault(FaultSpec spec) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    return apply_fault_locked(std::move(spec), "python");
}

std::size_t Modem::lift_fault(const std::string& name_or_id) {
    auto lk = lock();
    const auto ids = faults_.find(name_or_id);
    for (const auto id : ids)
        lift_fault_locked(id, "lifted");
    return ids.size();
}

std::vector<Fault> Modem::active_faults() {
    auto lk = lock();
    return faults_.active();
}

std::uint64_t Modem::apply_fault_locked(FaultSpec spec, const char* origin) {
    auto effect = make_effect(spec);  // checks the kind and its settings
    if (spec.name.empty()) spec.name = spec.kind;
    TraceEvent ev(sched_.now(), "fault");
    ev.str("action", "apply").str("name", spec.name).str("kind", spec.kind).str("by", origin);
    std::string settings;
    for (const auto& [k, v] : spec.settings)
        settings += (settings.empty() ? "" : " ") + k + "=" + v;
    if (!settings.empty()) ev.str("settings", settings);
    if (spec.match.host) ev.str("host", *spec.match.host);
    if (spec.match.port) ev.num("port", *spec.match.port);
    if (spec.match.socket) ev.num("sock", static_cast<std::int64_t>(*spec.match.socket));
    if (spec.direction != Direction::both) ev.str("direction", to_string(spec.direction));
    if (spec.duration) ev.str("for", format_duration(*spec.duration));
    if (effect->scope() == FaultScope::instant) {
        trace_event(std::move(ev));
        Fault once;
        once.spec = spec;
        once.applied_at = sched_.now();
        once.effect = effect;
        device_event(spec.name);
        effect->on_apply(*this, once);
        return 0;
    }
    Fault& f = faults_.add(std::move(spec), effect, sched_.now());
    const std::uint64_t id = f.id;
    const std::string name = f.spec.name;
    const std::optional<DeviceTime> lift_at = f.lift_at;
    ev.num("id", static_cast<std::int64_t>(id));
    trace_event(std::move(ev));
    if (effect->scope() == FaultScope::module) {
        const Fault copy = f;  // on_apply may add faults (and move the vector)
        effect->on_apply(*this, copy);
    } else if (effect->scope() == FaultScope::link) {
        // Faults that act on idle connections (reset_peer) act now.
        auto live = connections_;
        for (auto& w : live) {
            if (auto c = w.lock()) c->poke();
        }
    }
    if (lift_at) {
        event_at(*lift_at, [this, id] { lift_fault_locked(id, "its time was up"); });
    }
    device_event(name);
    return id;
}

void Modem::lift_fault_locked(std::uint64_t id, const char* why) {
    auto f = faults_.remove(id);
    if (!f) return;
    trace_event(TraceEvent(sched_.now(), "fault")
                    .str("action", "lift")
                    .str("name", f->spec.name)
                    .str("kind", f->spec.kind)
                    .num("id", static_cast<std::int64_t>(id))
                    .str("why", why));
    if (f->effect->scope() == FaultScope::module) f->effect->on_lift(*this, *f);
    device_event(f->spec.name + ".lifted");
}

// ---------------------------------------------------------------- timeline

void Modem::start_timeline() {
    const Duration now = config_.timeline_offset;
    for (std::size_t i = 0; i < config_.timeline.size(); ++i) {
        const TimelineEntry& e = config_.timeline[i];
        switch (e.trigger) {
            case TimelineEntry::Trigger::at:
                schedule_occurrence(i, 0);
                break;
            case TimelineEntry::Trigger::every:
                if (const auto k = first_occurrence_from(e, i, now, config_.seed)) {
                    schedule_occurrence(i, *k);
                }
                break;
            case TimelineEntry::Trigger::after:
                waiting_[e.after].push_back(i);
                break;
        }
    }
    device_event("boot");
}

void Modem::schedule_occurrence(std::size_t index, std::uint64_t k) {
    const TimelineEntry& e = config_.timeline[index];
    const Occurrence o = occurrence(e, index, k, config_.seed);
    const Duration now = scenario_time();
    const bool instant = builtin_faults().get(e.fault.kind).scope == FaultScope::instant;
    const std::optional<Duration> end =
        e.duration ? std::optional<Duration>(o.start + *e.duration) : std::nullopt;
    std::optional<Duration> remaining = e.duration;
    Duration at = o.start;
    // An instant fault (reboot) at exactly this boot's start is the one that
    // ended the previous boot.
    const bool past = o.start < now || (instant && o.start == now && now.count() > 0);
    if (past) {
        // Began before this boot: an instant fault is over; one still in force
        // is applied again at once for what is left of it.
        if (instant || (end && *end <= now)) {
            if (e.trigger == TimelineEntry::Trigger::every) schedule_occurrence(index, k + 1);
            return;
        }
        at = now;
        if (end) remaining = *end - now;
    }
    const DeviceTime when = at - config_.timeline_offset;
    const auto pending = o.fires ? upcoming_.emplace(when, index) : upcoming_.end();
    auto fire = [this, index, k, remaining, fires = o.fires, pending] {
        if (fires) {
            upcoming_.erase(pending);
            timeline_fire(index, k, remaining);
        }
        const TimelineEntry& entry = config_.timeline[index];
        if (entry.trigger == TimelineEntry::Trigger::every &&
            (!entry.count || k + 1 < *entry.count)) {
            schedule_occurrence(index, k + 1);
        }
    };
    // An entry that repeats for ever is the network's weather, not an event
    // ahead: it alone does not keep a run going for the script's callbacks.
    if (e.trigger == TimelineEntry::Trigger::every && !e.count) {
        sched_.call_at(when, std::move(fire));
    } else {
        event_at(when, std::move(fire));
    }
}

std::optional<std::pair<DeviceTime, std::string>> Modem::next_timeline_event() {
    auto lk = lock();
    if (upcoming_.empty()) return std::nullopt;
    const auto& [when, index] = *upcoming_.begin();
    const FaultSpec& f = config_.timeline[index].fault;
    std::string what = f.kind;
    if (!f.name.empty() && f.name != f.kind) what += " '" + f.name + "'";
    return std::make_pair(when, what);
}

void Modem::timeline_fire(std::size_t index, std::uint64_t /*k*/,
                          std::optional<Duration> remaining) {
    if (sched_.halted()) return;
    FaultSpec spec = config_.timeline[index].fault;
    spec.duration = remaining;
    try {
        apply_fault_locked(std::move(spec), "timeline");
    } catch (const UsageError& e) {
        // Checked when the scenario was read; a fault that cannot apply now
        // (a PDP id out of range...) is reported, not fatal.
        spdlog::warn("timeline entry {}: {}", index + 1, e.what());
    }
}

void Modem::device_event(const std::string& name) {
    const auto it = waiting_.find(name);
    if (it == waiting_.end()) return;
    for (const std::size_t index : it->second) {
        const TimelineEntry& e = config_.timeline[index];
        std::uint64_t& n = triggered_[index];
        if (n >= e.count.value_or(1) && e.count.value_or(1) != 0) continue;
        const std::uint64_t k = n++;
        const Occurrence o = occurrence(e, index, k, config_.seed);
        if (!o.fires) continue;
        event_at(sched_.now() + o.start,
                 [this, index, k, d = e.duration] { timeline_fire(index, k, d); });
    }
}

// ---------------------------------------------------------------- ModuleControl

void Modem::set_registration(RegState r, const std::string& why) {
    set_reg_state_locked(r, why);
}

void Modem::set_coverage(bool lost, Duration reattach, const std::string& why) {
    if (lost) {
        csq_before_coverage_loss_ = cellular_.radio().csq;
        set_csq(99);
        deregister_locked(RegState::searching, why.c_str());
        return;
    }
    set_csq(csq_before_coverage_loss_);
    if (cellular_.modem_fun() == 1 && cellular_.sim_status() == SimStatus::ready &&
        !cellular_.registered()) {
        register_later(reattach);
    }
}

void Modem::set_sim(SimStatus s, const std::string& why) {
    set_sim_status_locked(s, why);
}

void Modem::set_csq(int csq) {
    auto& r = cellular_.radio();
    r.csq = csq;
    // 27.007 +CSQ: rssi = -113 dBm + 2 * csq; 99 is "not known".
    r.rssi = csq == 99 ? -113 : -113 + 2 * csq;
    trace_event(TraceEvent(sched_.now(), "signal").num("csq", csq));
}

void Modem::block_pdp(int id, bool blocked, const std::string& why) {
    pdp_blocked_[static_cast<std::size_t>(id - 1)] = blocked;
    if (blocked) {
        deactivate_pdp_locked(id, why.c_str());
        return;
    }
    const auto& p = cellular_.pdp(id);
    if (!p.active && p.auto_connect) {
        event_at(sched_.now() + kPdpActivation, [this, id] {
            if (!pdp_blocked_[static_cast<std::size_t>(id - 1)])
                activate_pdp_locked(id, "reconnect");
        });
    }
}

void Modem::set_airplane(bool on) {
    set_modem_fun_locked(on ? 4 : 1);
}

void Modem::reboot(const std::string& why) {
    halt_locked(std::string(kRebootReason) + " (fault '" + why + "')");
}

void Modem::act_on_services(const Fault& f) {
    net_.for_each_service([&](const Endpoint& at, Service& service) {
        if (faults_.matches_service(f, at)) service.on_fault(f);
    });
}

void Modem::set_socket_limit(int n) {
    socket_limit_ = n;
    if (table_.size() < static_cast<std::size_t>(n)) table_.resize(static_cast<std::size_t>(n));
}

}  // namespace qpysim
