// The module's cellular side: SIM, network registration, radio and PDP
// contexts (data calls). Plain state with no behaviour of its own: the Modem
// changes it (scenario, faults, the script's calls) and carries out the
// consequences for sockets and callbacks.
#pragma once

#include <array>
#include <cstdint>
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
    bool auto_activate = false;  // activated at boot / when the network returns
    bool auto_connect = false;   // re-activated after an abnormal loss
    IpAddress ip;
    IpAddress ip6;
    IpAddress dns1;
    IpAddress dns2;
    std::optional<IpAddress> fixed_ip;  // the network always gives this address
};

// A PDP context as the module has it at power-on: from the scenario, and from
// what the script stored before a reboot (NV, /usr/datacall_config.json).
struct PdpSetup {
    int id = 1;
    int ip_type = 0;  // 0 IPv4, 1 IPv6, 2 IPv4v6
    std::string apn;  // "": the module's default APN
    std::string username;
    std::string password;
    int auth_type = 0;
    bool active = true;
    bool auto_connect = true;          // activated at boot, re-activated after a loss
    std::optional<IpAddress> address;  // a fixed address (a private APN); none: drawn
};

// What the SIM and the module say about themselves. Drawn from the seed.
struct Identity {
    std::string imei;
    std::string imsi;
    std::string iccid;
    std::string phone_number;
    std::string serial;
};

struct Operator {
    std::string long_name = "CHINA MOBILE";
    std::string short_name = "CMCC";
    std::string mcc = "460";
    std::string mnc = "00";
};

struct Radio {
    int csq = 24;    // 0..31, 99 unknown
    int rssi = -65;  // dBm
    int rsrp = -95;  // dBm
    int rsrq = -10;  // dB
    int sinr = 12;   // dB
    int tac = 0x5a1e;
    int cid = 0x1a2b3c4;
    int pci = 123;
    int earfcn = 1300;
};

class Cellular {
  public:
    static constexpr int kPdpCount = 7;  // profiles 1..7 (2021 checkNet scans them all)

    Cellular();

    SimStatus sim_status() const noexcept { return sim_; }
    RegState reg_state() const noexcept { return reg_; }
    int modem_fun() const noexcept { return fun_; }
    bool registered() const noexcept { return reg_ == RegState::home || reg_ == RegState::roaming; }
    const Radio& radio() const noexcept { return radio_; }
    Radio& radio() noexcept { return radio_; }
    const Identity& identity() const noexcept { return identity_; }
    Identity& identity() noexcept { return identity_; }
    const Operator& network_operator() const noexcept { return operator_; }
    Operator& network_operator() noexcept { return operator_; }
    int net_mode() const noexcept { return net_mode_; }
    bool roaming_allowed() const noexcept { return roaming_allowed_; }
    void set_net_config(int mode, bool roaming) {
        net_mode_ = mode;
        roaming_allowed_ = roaming;
    }

    const PdpContext& pdp(int id) const;  // id in 1..kPdpCount; throws UsageError
    PdpContext& pdp(int id);
    // The first active context, as QuecPython's socket auto-bind picks it.
    const PdpContext* first_active() const;
    // Data path usable: SIM ready, registered, full functionality, a PDP active.
    bool data_ready() const;

    void set_sim_status(SimStatus s) { sim_ = s; }
    void set_reg_state(RegState r) { reg_ = r; }
    void set_modem_fun(int fun) { fun_ = fun; }

  private:
    SimStatus sim_ = SimStatus::ready;
    RegState reg_ = RegState::home;
    int fun_ = 1;
    int net_mode_ = 8;  // GSM_LTE, LTE preferred
    bool roaming_allowed_ = false;
    Radio radio_;
    Identity identity_;
    Operator operator_;
    std::array<PdpContext, kPdpCount> pdp_{};
};

}  // namespace qpysim
