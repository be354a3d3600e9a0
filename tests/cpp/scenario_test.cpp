#include "qpysim/scenario.hpp"

#include <gtest/gtest.h>

#include "qpysim/modem.hpp"

namespace qpysim {
namespace {

std::string error_of(const std::string& text) {
    try {
        parse_scenario(text, "s.yaml");
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

TEST(scenario_parse, dns_names_map_to_one_or_more_addresses) {
    const Scenario s = parse_scenario(
        "version: 1\nname: demo\ndns:\n  a.example: 10.0.0.1\n  b.example: [10.0.0.2, '::1']\n",
        "s.yaml");
    EXPECT_EQ(s.name, "demo");
    EXPECT_EQ(s.dns.at("a.example"), std::vector<std::string>{"10.0.0.1"});
    EXPECT_EQ(s.dns.at("b.example"), (std::vector<std::string>{"10.0.0.2", "::1"}));
}

TEST(scenario_parse, top_level_settings) {
    const Scenario s = parse_scenario(
        "module: ec200a\ndialect: micropython\nclock: virtual\nseed: 42\n", "s.yaml");
    EXPECT_EQ(s.module, "EC200A");  // names are case-insensitive, normalised
    EXPECT_EQ(s.dialect, "micropython");
    EXPECT_EQ(s.clock, "virtual");
    EXPECT_EQ(s.seed, 42u);
}

TEST(scenario_errors, unknown_key_names_line_column_and_choices) {
    EXPECT_EQ(error_of("name: x\ndsn:\n  a: 1.2.3.4\n"),
              "s.yaml:2:1: unknown key 'dsn' in the scenario (expected one of version, name, "
              "description, module, dialect, clock, seed, sim, network, pdp, dns, forward, hosts, "
              "link, faults, timeline, uart, i2c)");
}

TEST(scenario_parse, uart_devices_are_scripts_of_expect_send_delay) {
    const Scenario s = parse_scenario(
        "uart:\n  2:\n    script: [{delay: 1.5s}, {send: \"hi\\n\"}, {expect: OK}]\n", "s.yaml");
    ASSERT_EQ(s.uart.size(), 1u);
    const auto& steps = s.uart.at(2).steps;
    ASSERT_EQ(steps.size(), 3u);
    EXPECT_EQ(steps[0].kind, ScriptStep::Kind::delay);
    EXPECT_EQ(steps[0].delay, from_seconds(1.5));
    EXPECT_EQ(steps[1].kind, ScriptStep::Kind::send);
    EXPECT_EQ(steps[1].text, "hi\n");
    EXPECT_EQ(steps[2].kind, ScriptStep::Kind::expect);
    ModemConfig c;
    apply_scenario(s, c);
    EXPECT_EQ(c.uart_peers.at(2).steps.size(), 3u);
}

TEST(scenario_errors, a_uart_is_0_to_6_and_has_no_connection_to_close) {
    EXPECT_NE(error_of("uart: {7: {script: []}}\n").find("s.yaml:1:8: uart: a UART number"),
              std::string::npos);
    EXPECT_EQ(error_of("uart: {2: {script: [close]}}\n"),
              "s.yaml:1:21: a script step is one of expect/send/delay: TEXT; got 'close'");
}

TEST(scenario_parse, i2c_devices_have_registers_and_answers_at_7_bit_addresses) {
    const Scenario s = parse_scenario(
        "i2c:\n  1:\n    0x44: {answers: {2c06: 6a8c5e 66b3a1}}\n    80: {}\n"
        "    0x76: {registers: {d0: 58, 88: 706b 4367}}\n",
        "s.yaml");
    ASSERT_EQ(s.i2c.at(1).size(), 3u);
    EXPECT_EQ(s.i2c.at(1).at(0x44).answers.at("\x2c\x06"), "\x6a\x8c\x5e\x66\xb3\xa1");
    EXPECT_TRUE(s.i2c.at(1).at(80).registers.empty());
    EXPECT_EQ(s.i2c.at(1).at(0x76).registers.at("\x88"), "\x70\x6b\x43\x67");
    ModemConfig c;
    apply_scenario(s, c);
    EXPECT_EQ(c.i2c_devices.at(1).size(), 3u);
    EXPECT_NE(describe(s).find("i2c:     I2C1 0x76, a device (2 register blocks, 0 answers)\n"),
              std::string::npos);
}

TEST(scenario_errors, an_i2c_device_is_named_where_it_is_wrong) {
    EXPECT_NE(error_of("i2c: {4: {}}\n").find("s.yaml:1:7: i2c: a bus number"), std::string::npos);
    EXPECT_EQ(error_of("i2c: {1: {0x80: {}}}\n"),
              "s.yaml:1:11: i2c: a device address is a 7-bit address, 0..127 or 0x00..0x7f, "
              "got '0x80'");
    EXPECT_EQ(error_of("i2c: {1: {0x44: {registers: {2c0: 00}}}}\n"),
              "s.yaml:1:30: i2c: a register address must be whole bytes (an even number of hex "
              "digits), got '2c0'");
    EXPECT_EQ(error_of("i2c: {1: {0x44: {answers: {2c06: zz}}}}\n"),
              "s.yaml:1:34: i2c: a command's answer must be bytes in hex like 2c06 or '6a 8c', "
              "got 'zz'");
    EXPECT_EQ(error_of("i2c: {1: {0x44: {registers: {'': 00}}}}\n"),
              "s.yaml:1:30: i2c: a register address is 1 to 4 bytes in hex");
    EXPECT_NE(error_of("i2c: {1: {0x44: {regs: {}}}}\n").find("unknown key 'regs'"),
              std::string::npos);
}

TEST(scenario_errors, bad_address_points_at_the_value) {
    EXPECT_EQ(error_of("dns:\n  a.example: 999.1.1.1\n"),
              "s.yaml:2:14: dns: 'a.example': expected an IPv4 or IPv6 address, got '999.1.1.1'");
}

TEST(scenario_errors, wrong_types_say_what_was_expected) {
    EXPECT_EQ(error_of("dns: [1, 2]\n"), "s.yaml:1:6: dns must be a mapping (key: value lines)");
    EXPECT_EQ(error_of("seed: -3\n"), "s.yaml:1:7: seed must be a whole number >= 0, got '-3'");
    EXPECT_EQ(error_of("clock: sometimes\n"),
              "s.yaml:1:8: clock must be one of real, virtual, got 'sometimes'");
    EXPECT_EQ(error_of("module: EC999\n"),
              "s.yaml:1:9: module must be one of EC600U, EC200U, EC600G, EC200A, EC600N, EC800N, "
              "EC600S, BG95, "
              "got 'EC999'");
    EXPECT_EQ(error_of("version: 2\n"),
              "s.yaml:1:10: version must be 1 (the only schema version so far)");
    EXPECT_EQ(error_of("dns:\n  a: []\n"), "s.yaml:2:6: dns: 'a' has no address");
}

TEST(scenario_errors, yaml_syntax_errors_keep_their_position) {
    const std::string e = error_of("dns:\n  a: [1.2.3.4\n");
    EXPECT_EQ(e.rfind("s.yaml:", 0), 0u) << e;
    EXPECT_NE(e.find("not valid YAML"), std::string::npos) << e;
}

TEST(scenario_parse, forwards_map_device_destinations_to_the_pc) {
    const Scenario s = parse_scenario("forward:\n  www.example.com:80: 127.0.0.1:8080\n", "s");
    EXPECT_EQ(s.forward.at("www.example.com:80"), "127.0.0.1:8080");
    EXPECT_EQ(error_of("forward:\n  www.example.com: 127.0.0.1:8080\n"),
              "s.yaml:2:3: forward: expected host:port (what the device connects to), got "
              "'www.example.com'");
    EXPECT_EQ(error_of("forward:\n  a.example:80: my.pc:8080\n"),
              "s.yaml:2:17: forward: expected ip:port on this PC, got 'my.pc:8080'");
}

TEST(scenario_parse, hosts_with_every_kind_of_service) {
    const Scenario s = parse_scenario(R"(
hosts:
  web.test:
    address: 192.0.2.9
    80:
      http:
        - {method: POST, path: /x, status: 201, body: made, delay: 250ms, headers: {A: b}}
    7: echo
    9/udp: discard
  203.0.113.77:
    5000:
      script:
        - expect: "HI"
        - send: "HELLO"
        - delay: 1.5s
        - close
link:
  latency: 40ms
)",
                                      "s.yaml");
    ASSERT_EQ(s.hosts.size(), 2u);
    const HostConfig& web = s.hosts[0];
    EXPECT_EQ(web.name, "web.test");
    EXPECT_EQ(web.address, "192.0.2.9");
    // Each service kind reads its own settings (services_test.cpp checks what
    // they do); the scenario keeps the kind, the settings and tls.
    EXPECT_EQ(web.tcp.at(80).kind, "http");
    EXPECT_EQ(web.tcp.at(80).config->summary(), "1 route");
    EXPECT_FALSE(web.tcp.at(80).tls);
    EXPECT_EQ(web.tcp.at(7).kind, "echo");
    EXPECT_EQ(web.udp.at(9).kind, "discard");
    EXPECT_EQ(s.hosts[1].tcp.at(5000).kind, "script");
    EXPECT_EQ(s.hosts[1].tcp.at(5000).config->summary(), "4 steps");
    // link: becomes a standing latency fault named "link", from boot.
    ASSERT_EQ(s.timeline.size(), 1u);
    EXPECT_EQ(s.timeline[0].fault.kind, "latency");
    EXPECT_EQ(s.timeline[0].fault.name, "link");
    EXPECT_EQ(s.timeline[0].fault.settings.at("latency"), "40ms");
    EXPECT_EQ(s.timeline[0].at, 0ms);
}

TEST(scenario_parse, virtual_hosts_choose_virtual_time_unless_forwards_need_the_pc) {
    ModemConfig a;
    apply_scenario(parse_scenario("hosts:\n  x.test:\n    7: echo\n", "s"), a);
    EXPECT_EQ(a.clock, ClockMode::virtual_time);
    ModemConfig b;
    apply_scenario(
        parse_scenario("hosts:\n  x.test:\n    7: echo\nforward:\n  y.test:80: 127.0.0.1:80\n",
                       "s"),
        b);
    EXPECT_EQ(b.clock, ClockMode::real);
}

TEST(scenario_parse, durations) {
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(parse_duration("2"), 2s);
    EXPECT_EQ(parse_duration("5m"), 300s);
    EXPECT_EQ(parse_duration("1h"), 3600s);
    EXPECT_FALSE(parse_duration("-1s"));
    EXPECT_FALSE(parse_duration("soon"));
    EXPECT_FALSE(parse_duration("5 parsecs"));
    EXPECT_FALSE(parse_duration("nan"));
    EXPECT_FALSE(parse_duration("nanms"));
    EXPECT_FALSE(parse_duration("inf"));
    EXPECT_FALSE(parse_duration("1e308h"));
}

TEST(scenario_errors, hostile_yaml_is_refused_at_its_position_without_expanding) {
    // Ten aliases of ten aliases... would expand to 10^12 values.
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 13; ++i) {
        bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int k = 0; k < 10; ++k)
            bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
        bomb += "]\n";
    }
    EXPECT_EQ(error_of(bomb),
              "s.yaml:5:45: the file expands to more than 100000 values here (YAML aliases that "
              "repeat aliases?); a scenario is far smaller");
    EXPECT_EQ(error_of("x: " + std::string(100, '[') + std::string(100, ']') + "\n"),
              "s.yaml:1:67: lists and mappings nest more than 64 deep here; a scenario is far "
              "flatter");
    EXPECT_EQ(error_of("name: ok\ndescription: \"\xc4\xe3\"\n"),
              "s.yaml:2:15: not UTF-8 (byte 0xc4); save the file as UTF-8");
    EXPECT_EQ(error_of("name: \xed\xa0\x80\n"),
              "s.yaml:1:7: not UTF-8 (byte 0xed); save the file as UTF-8");
    EXPECT_EQ(error_of("name: \xc0\xaf\n"),
              "s.yaml:1:7: not UTF-8 (byte 0xc0); save the file as UTF-8");
    EXPECT_EQ(
        error_of("link:\n  latency: nan\n"),
        "s.yaml:2:12: latency must be a duration like 250ms, 1.5s, 5m or a number of seconds, "
        "got 'nan'");
    EXPECT_EQ(error_of(std::string(1048577, '#')),
              "s.yaml: the text is 1048577 bytes; the limit is 1 MiB");
    // Aliases in a normal file still work.
    EXPECT_EQ(error_of("name: &n telemetry\ndescription: *n\n"), "");
}

TEST(scenario_errors, hosts_errors_name_their_place) {
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    http: echo\n"),
              "s.yaml:3:5: host 'x.test': expected address, or a port (1..65535, optionally /udp "
              "or /tcp), got 'http'");
    EXPECT_EQ(
        error_of("hosts:\n  x.test:\n    7: mirror\n"),
        "s.yaml:3:8: a TCP service is one of echo, discard, http, script, mqtt, got 'mirror'");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7/udp: {http: []}\n"),
              "s.yaml:3:13: a UDP service is one of echo, discard, ntp, got 'http'");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7: {echo: , discard: }\n"),
              "s.yaml:3:17: one port, one service: 'echo' and 'discard' are both given");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7: {tls: true}\n"),
              "s.yaml:3:8: a TCP service needs its kind: one of echo, discard, http, script, mqtt");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7: {echo: {x: 1}}\n"),
              "s.yaml:3:15: echo has no settings");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7: {echo: , tls: {cert: a.pem}}\n"),
              "s.yaml:3:22: tls: give both cert and key (PEM files), or neither");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    123/udp: {ntp: {stratum: 0}}\n"),
              "s.yaml:3:30: stratum must be 1..15");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    80:\n      http:\n        - {delay: soon}\n"),
              "s.yaml:5:19: delay must be a duration like 250ms, 1.5s, 5m or a number of seconds, "
              "got 'soon'");
    EXPECT_EQ(
        error_of("hosts:\n  x.test:\n    80:\n      http:\n        - {body_file: nope.html}\n"),
        "s.yaml:5:23: body_file: cannot read './nope.html': no such file");
    EXPECT_EQ(
        error_of("hosts:\n  x.test:\n    5:\n      script:\n        - wait: 1\n"),
        "s.yaml:5:11: unknown key 'wait' in a script step (expected one of expect, send, delay)");
}

TEST(scenario_errors, empty_and_non_mapping_documents) {
    EXPECT_EQ(error_of(""), "s.yaml: the scenario is empty");
    EXPECT_EQ(error_of("- a\n- b\n"),
              "s.yaml:1:1: a scenario must be a mapping (key: value lines)");
}

TEST(scenario_errors, missing_file_is_named) {
    try {
        load_scenario("/nonexistent/x.yaml");
        FAIL();
    } catch (const ScenarioError& e) {
        EXPECT_STREQ(e.what(), "/nonexistent/x.yaml: cannot open the scenario file: no such file");
    }
}

TEST(scenario_errors, special_files_are_refused_without_reading_them) {
    const std::string dir = ::testing::TempDir();
    for (const auto& [path, what] : std::vector<std::pair<std::string, std::string>>{
             {dir, "a folder"}, {"/dev/zero", "a device"}, {"/dev/null", "a device"}}) {
        try {
            load_scenario(path);
            ADD_FAILURE() << path;
        } catch (const ScenarioError& e) {
            EXPECT_EQ(std::string(e.what()),
                      path + ": the scenario file must be a regular file; this is " + what);
        }
    }
}

TEST(scenario_apply, fills_a_modem_config) {
    ModemConfig c;
    apply_scenario(parse_scenario("module: BG95\nseed: 7\ndns:\n  x: 1.2.3.4\n", "s.yaml"), c);
    EXPECT_EQ(c.module, "BG95");
    EXPECT_EQ(c.seed, 7u);
    EXPECT_EQ(c.dns.at("x"), std::vector<std::string>{"1.2.3.4"});
}

TEST(scenario_describe, summarises_on_one_screen) {
    const std::string d = describe(parse_scenario("name: demo\ndns:\n  x.example: 1.2.3.4\n", "s"));
    EXPECT_NE(d.find("demo"), std::string::npos);
    EXPECT_NE(d.find("x.example -> 1.2.3.4"), std::string::npos);
}

}  // namespace
}  // namespace qpysim

namespace qpysim {
namespace {

std::string scenario_error(const std::string& text) {
    try {
        parse_scenario(text, "f.yaml");
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

TEST(scenario_faults, cellular_state_pdp_and_module_limits) {
    const Scenario s = parse_scenario(R"(
module: {model: ec200u, sockets: 4, sndbuf: 8KB, rcvbuf: 2920}
sim: locked
network:
  registration: roaming
  csq: 12
  operator: {long: TEST NET, short: TST, mcc: "001", mnc: "01"}
pdp:
  - {id: 1, apn: iot.example, ip_type: ipv4v6, reconnect: false}
  - {id: 2, apn: mms, active: false}
)",
                                      "s.yaml");
    EXPECT_EQ(s.module, "EC200U");
    EXPECT_EQ(s.sockets, 4);
    EXPECT_EQ(s.sndbuf, 8000u);
    EXPECT_EQ(s.rcvbuf, 2920u);
    EXPECT_EQ(s.sim, SimStatus::pin_required);
    EXPECT_EQ(s.registration, RegState::roaming);
    EXPECT_EQ(s.csq, 12);
    EXPECT_EQ(s.network_operator->mcc, "001");
    ASSERT_EQ(s.pdp.size(), 2u);
    EXPECT_EQ(s.pdp[0].ip_type, 2);
    EXPECT_FALSE(s.pdp[0].auto_connect);
    EXPECT_FALSE(s.pdp[1].active);
}

TEST(scenario_faults, faults_and_timeline_entries) {
    const Scenario s = parse_scenario(R"(
faults:
  - {kind: loss, rate: 5%, match: {host: a.test, port: 80, proto: tcp}, direction: up}
  - refuse
timeline:
  - {name: out, at: 30s, for: 10s, fault: coverage_loss}
  - {every: 5m, jitter: 1m, count: 3, probability: 0.5, for: 15s, fault: pdp_down}
  - {after: out.lifted, delay: 2s, fault: {kind: signal, csq: 3}}
)",
                                      "s.yaml");
    ASSERT_EQ(s.timeline.size(), 5u);
    EXPECT_EQ(s.timeline[0].fault.kind, "loss");
    EXPECT_EQ(s.timeline[0].fault.match.host, "a.test");
    EXPECT_EQ(s.timeline[0].fault.match.udp, false);
    EXPECT_EQ(s.timeline[0].fault.direction, Direction::up);
    EXPECT_EQ(s.timeline[1].fault.kind, "refuse");
    EXPECT_EQ(s.timeline[2].at, 30s);
    EXPECT_EQ(s.timeline[2].duration, 10s);
    EXPECT_EQ(s.timeline[2].fault.name, "out");
    EXPECT_EQ(s.timeline[3].trigger, TimelineEntry::Trigger::every);
    EXPECT_EQ(s.timeline[3].at, 5min);  // the first occurrence: one period in
    EXPECT_EQ(s.timeline[3].count, 3u);
    EXPECT_EQ(s.timeline[4].after, "out.lifted");
    EXPECT_EQ(s.timeline[4].delay, 2s);
}

TEST(scenario_faults, every_mistake_points_at_its_line_and_column) {
    EXPECT_EQ(scenario_error("faults:\n  - {kind: loss, rate: lots}\n"),
              "f.yaml:2:24: fault 'loss' (loss): rate must be a number from 0 to 1, got 'lots'");
    EXPECT_EQ(scenario_error("faults:\n  - {kind: loss, rat: 1}\n"),
              "f.yaml:2:18: unknown key 'rat' in fault loss (expected one of kind, name, match, "
              "direction, probability, for, rate)");
    EXPECT_EQ(scenario_error("faults:\n  - {rate: 1}\n"),
              "f.yaml:2:5: a fault needs kind: (one of latency, bandwidth, loss, slicer, "
              "limit_data, reset_peer, blackhole, refuse, slow_close, half_open, nat_idle, "
              "dns_nxdomain, dns_servfail, dns_timeout, dns_slow, dns_wrong, coverage_loss, "
              "registration, signal, sim, pdp_down, airplane, reboot, sockets, sndbuf, rcvbuf, "
              "pin, uart_overrun, i2c_nack, adc, vbatt, "
              "http_status, http_delay, mqtt_refuse, mqtt_drop, mqtt_disconnect)");
    EXPECT_EQ(scenario_error("timeline:\n  - {at: 1s, every: 2s, fault: reboot}\n"),
              "f.yaml:2:5: a timeline entry has exactly one of at, every, after");
    EXPECT_EQ(scenario_error("timeline:\n  - {every: 1m, fault: pdp_down}\n"),
              "f.yaml:2:13: an every: entry needs for: (how long each pdp_down lasts), unless "
              "the fault happens at once");
    EXPECT_EQ(scenario_error("timeline:\n  - {every: 1m, for: 2m, fault: pdp_down}\n"),
              "f.yaml:2:22: for must be shorter than every");
    EXPECT_EQ(scenario_error("timeline:\n  - {at: 1s, for: 2s, fault: reboot}\n"),
              "f.yaml:2:19: reboot happens at once; it takes no for:");
    EXPECT_EQ(scenario_error("timeline:\n  - {after: lunch, fault: reboot}\n"),
              "f.yaml:2:13: after: 'lunch' is neither a device event (boot, connect, dns, "
              "listen, pdp_active, pdp_inactive, registered, deregistered) nor the name of a "
              "fault in this scenario (or NAME.lifted)");
    EXPECT_EQ(scenario_error("timeline:\n  - {at: 1s, fault: {kind: signal, csq: 3, for: 2s}}\n"),
              "f.yaml:2:44: unknown key 'for' in fault signal (expected one of kind, name, "
              "match, direction, probability, csq) (in a timeline entry, for: goes on the "
              "entry)");
    EXPECT_EQ(scenario_error("network: {csq: 40}\n"),
              "f.yaml:1:16: csq must be 0..31 or 99 (unknown)");
    EXPECT_EQ(scenario_error("pdp:\n  - {id: 9}\n"), "f.yaml:2:10: id must be 1..7");
    EXPECT_EQ(scenario_error("module: {model: EC600U, sockets: 0}\n"),
              "f.yaml:1:34: sockets must be 1..64");
    EXPECT_EQ(scenario_error("link: {bandwidth: quick}\n"),
              "f.yaml:1:19: bandwidth must be a rate like 9600bit, 256kbit, 1Mbit or 32KB/s, "
              "got 'quick'");
    EXPECT_EQ(scenario_error("faults:\n  - {kind: pdp_down, direction: up}\n"),
              "f.yaml:2:33: fault 'pdp_down' (pdp_down): direction applies to link and service "
              "faults only");
}

TEST(scenario_faults, fault_specs_from_python_dicts_use_the_same_rules) {
    const FaultSpec f =
        fault_spec_from({{"kind", "latency"}, {"latency", "0.2"}, {"for", "30"}}, {{"port", "80"}});
    EXPECT_EQ(f.kind, "latency");
    EXPECT_EQ(f.duration, 30s);
    EXPECT_EQ(f.match.port, 80);
    try {
        fault_spec_from({{"kind", "latency"}, {"latency", "x"}}, {});
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(),
                     "fault 'latency' (latency): latency must be a duration like 250ms, 1.5s "
                     "or 5m, got 'x'");
    }
}

}  // namespace
}  // namespace qpysim
