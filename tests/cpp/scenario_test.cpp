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
              "description, module, dialect, clock, seed, dns, forward, hosts, link)");
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
              "s.yaml:1:9: module must be one of EC600U, EC200U, EC200A, EC600N, EC600S, BG95, "
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
    ASSERT_EQ(web.tcp.at(80).routes.size(), 1u);
    const HttpRoute& r = web.tcp.at(80).routes[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.delay, 250ms);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"A", "b"}));
    EXPECT_EQ(web.tcp.at(7).kind, ServiceSpec::Kind::echo);
    EXPECT_EQ(web.udp.at(9), ServiceSpec::Kind::discard);
    const auto& steps = s.hosts[1].tcp.at(5000).steps;
    ASSERT_EQ(steps.size(), 4u);
    EXPECT_EQ(steps[2].delay, 1500ms);
    EXPECT_EQ(steps[3].kind, ScriptStep::Kind::close);
    EXPECT_EQ(s.latency, 40ms);
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
}

TEST(scenario_errors, hosts_errors_name_their_place) {
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    http: echo\n"),
              "s.yaml:3:5: host 'x.test': expected address, or a port (1..65535, optionally /udp "
              "or /tcp), got 'http'");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7: mirror\n"),
              "s.yaml:3:8: a service is echo, discard, http: or script:, got 'mirror'");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    7/udp: {http: []}\n"),
              "s.yaml:3:12: a UDP service is echo or discard");
    EXPECT_EQ(error_of("hosts:\n  x.test:\n    80:\n      http:\n        - {delay: soon}\n"),
              "s.yaml:5:19: delay must be a duration like 250ms, 1.5s, 5m or a number of seconds, "
              "got 'soon'");
    EXPECT_EQ(
        error_of("hosts:\n  x.test:\n    80:\n      http:\n        - {body_file: nope.html}\n"),
        "s.yaml:5:23: body_file: cannot read './nope.html'");
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
        EXPECT_STREQ(e.what(), "/nonexistent/x.yaml: cannot open the scenario file");
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
