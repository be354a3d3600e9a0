// The module's cellular side: SIM, network registration and PDP contexts
// (data calls). Sockets need an active PDP context to reach anything; the
// companion modules (sim, net, dataCall, checkNet) read and drive this state.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "qpysim/address.hpp"

namespace qpysim {

// sim.getStatus() codes (QuecPython docs): 0 absent, 1 ready, 2 PIN required...
enum class SimStatus : int {
    absent = 0,
    ready = 1,
    pin_required = 2,
    puk_required = 3,
    initializing = 18,
    blocked = 19,
    invalid = 20,
    unknown = 21,
};

// net.getState() registration values (3GPP 27.007 +CREG/+CEREG stat).
enum class RegState : int {
    not_searching = 0,
    home = 1,
    searching = 2,
    denied = 3,
    unknown = 4,
    roaming = 5,
};

struct PdpContext {
    int id = 0;
    int ip_type = 0;  // 0 IPv4, 1 IPv6, 2 IPv4v6
    std::string apn;
    std::string username;
    std::string password;
    int auth_type = 0;
    bool active = false;
    IpAddress ip;
    IpAddress ip6;
    IpAddress dns1;
    IpAddress dns2;
};

class Cellular {
  public:
    static constexpr int kPdpCount = 7;  // profiles 1..7 (checkNet scans them on 2021 firmware)

    Cellular();

    SimStatus sim_status() const noexcept { return sim_; }
    RegState reg_state() const noexcept { return reg_; }
    int csq() const noexcept { return csq_; }
    int modem_fun() const noexcept { return fun_; }
    bool registered() const noexcept { return reg_ == RegState::home || reg_ == RegState::roaming; }

    const PdpContext& pdp(int id) const;  // id in 1..kPdpCount; throws UsageError
    PdpContext& pdp(int id);
    // The first active context, as QuecPython's socket auto-bind picks it.
    const PdpContext* first_active() const;
    // Data path usable: SIM ready, registered, full functionality, a PDP active.
    bool data_ready() const;

    void set_sim_status(SimStatus s) { sim_ = s; }
    void set_reg_state(RegState r) { reg_ = r; }
    void set_csq(int csq) { csq_ = csq; }
    void set_modem_fun(int fun) { fun_ = fun; }

  private:
    SimStatus sim_ = SimStatus::ready;
    RegState reg_ = RegState::home;
    int csq_ = 24;
    int fun_ = 1;
    std::array<PdpContext, kPdpCount> pdp_{};
};

}  // namespace qpysim
