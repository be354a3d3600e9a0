#include "cli.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>

namespace qpysim::cli {
namespace {

struct Result {
    int status;
    std::string out, err;
    RunOptions seen;
    bool ran = false;
};

Result call(std::vector<std::string> args, Hooks hooks = {}) {
    Result r;
    hooks.version = "9.9";
    hooks.run = [&r](const RunOptions& o) {
        r.seen = o;
        r.ran = true;
        return 0;
    };
    std::ostringstream out, err;
    args.insert(args.begin(), "qpysim");
    r.status = main(args, hooks, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

class cli_run : public ::testing::Test {
  protected:
    void SetUp() override {
        script = ::testing::TempDir() + "main.py";
        std::ofstream(script) << "print('hi')\n";
    }
    std::string script;
};

TEST_F(cli_run, parses_every_option) {
    const Result r =
        call({"run",      "--seed", "7",           "--timeout", "60",      "--expect", "ok",
              "--expect", "done",   "--fail-text", "boom",      "--clock", "virtual",  "--module",
              "ec200a",   "-vv",    script,        "--",        "a",       "b"});
    ASSERT_TRUE(r.ran) << r.err;
    EXPECT_EQ(r.status, exit_ok);
    EXPECT_EQ(r.seen.script, script);
    EXPECT_EQ(r.seen.seed, 7u);
    EXPECT_EQ(r.seen.timeout, 60.0);
    EXPECT_EQ(r.seen.expect, (std::vector<std::string>{"ok", "done"}));
    EXPECT_EQ(r.seen.fail_text, std::vector<std::string>{"boom"});
    EXPECT_EQ(r.seen.clock, "virtual");
    EXPECT_EQ(r.seen.verbosity, 2);
    EXPECT_EQ(r.seen.args, (std::vector<std::string>{"a", "b"}));
}

TEST_F(cli_run, expect_takes_one_value_and_leaves_the_script_alone) {
    const Result r = call({"run", "--expect", "ok", script});
    ASSERT_TRUE(r.ran) << r.err;
    EXPECT_EQ(r.seen.script, script);
}

TEST_F(cli_run, bad_usage_exits_2_without_running) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"run"},
                                               {"run", "/nonexistent/main.py"},
                                               {"run", "--timeout", "-1", script},
                                               {"run", "--clock", "sometimes", script},
                                               {"run", "--module", "EC999", script},
                                               {"run", "--frobnicate", script},
                                               {"bogus"},
                                               {}}) {
        const Result r = call(args);
        EXPECT_EQ(r.status, exit_usage);
        EXPECT_FALSE(r.ran);
        EXPECT_FALSE(r.err.empty());
    }
}

TEST_F(cli_run, numeric_options_name_the_option_and_the_accepted_range) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--seed", "-1"},
         "--seed: must be a whole number from 0 to 18446744073709551615, got '-1'"},
        {{"--seed", "18446744073709551616"}, "got '18446744073709551616'"},
        {{"--seed", "1.5"}, "--seed: must be a whole number"},
        {{"--timeout", "nan"},
         "--timeout: must be a number of seconds above 0 and at most 1000000000, got 'nan'"},
        {{"--timeout", "inf"}, "got 'inf'"},
        {{"--timeout", "0"}, "got '0'"},
        {{"--timeout", "1e10"}, "got '1e10'"},
        {{"--max-restarts", "-2"}, "--max-restarts: must be a whole number from 0 to 1000000"},
    };
    for (const auto& [opts, message] : cases) {
        std::vector<std::string> args{"run"};
        args.insert(args.end(), opts.begin(), opts.end());
        args.push_back(script);
        const Result r = call(args);
        EXPECT_EQ(r.status, exit_usage) << opts[1];
        EXPECT_FALSE(r.ran) << opts[1];
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    }
    const Result top = call({"run", "--seed", "18446744073709551615", "--timeout", "0.5", script});
    ASSERT_TRUE(top.ran) << top.err;
    EXPECT_EQ(top.seen.seed, 18446744073709551615u);
}

TEST(cli_help, help_exits_0) {
    const Result r = call({"--help"});
    EXPECT_EQ(r.status, exit_ok);
    EXPECT_NE(r.out.find("Exit status"), std::string::npos);
}

TEST(cli_check, reports_the_first_error_with_its_position) {
    const std::string good = ::testing::TempDir() + "good.yaml";
    const std::string bad = ::testing::TempDir() + "bad.yaml";
    std::ofstream(good) << "name: good\ndns:\n  a.example: 10.1.2.3\n";
    std::ofstream(bad) << "name: bad\ndns:\n  a.example: nope\n";
    Result r = call({"check", good});
    EXPECT_EQ(r.status, exit_ok);
    EXPECT_NE(r.out.find("a.example -> 10.1.2.3"), std::string::npos);
    r = call({"check", good, bad});
    EXPECT_EQ(r.status, exit_usage);
    EXPECT_NE(r.err.find(bad + ":3:14:"), std::string::npos) << r.err;
}

TEST(cli_listing, dialects_and_modules) {
    Result r = call({"dialects"});
    EXPECT_EQ(r.status, exit_ok);
    EXPECT_NE(r.out.find("quecpython-2021"), std::string::npos);
    r = call({"modules"});
    EXPECT_NE(r.out.find("BG95"), std::string::npos);
}

TEST(cli_listing, faults_with_their_settings) {
    const Result r = call({"faults"});
    EXPECT_EQ(r.status, exit_ok);
    EXPECT_NE(r.out.find("nat_idle\t(link) the carrier NAT forgets"), std::string::npos);
    EXPECT_NE(r.out.find("    rate: required: 9600bit"), std::string::npos);
    EXPECT_NE(r.out.find("pdp_down\t(module)"), std::string::npos);
    EXPECT_NE(r.out.find("mqtt_refuse\t(service)"), std::string::npos);
}

TEST(cli_listing, services_with_their_settings) {
    const Result r = call({"services"});
    EXPECT_EQ(r.status, exit_ok);
    EXPECT_NE(r.out.find("echo\t(tcp, udp)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mqtt\t(tcp) an MQTT 3.1/3.1.1 broker"), std::string::npos);
    EXPECT_NE(r.out.find("    users: "), std::string::npos);
    EXPECT_NE(r.out.find("ntp\t(udp)"), std::string::npos);
    EXPECT_NE(r.out.find("tls\t(on any tcp service)"), std::string::npos);
}

namespace fs = std::filesystem;

// A folder of its own under the test temp dir, empty.
fs::path fresh_dir(const std::string& name) {
    const fs::path d = fs::path(::testing::TempDir()) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

TEST_F(cli_run, a_shipped_scenario_is_found_by_name_and_a_missing_one_is_named) {
    const fs::path shipped = fresh_dir("shipped-scenarios");
    std::ofstream(shipped / "flaky-cell.yaml") << "version: 1\n";
    Hooks hooks;
    hooks.scenario_dir = shipped.string();
    for (const char* name : {"flaky-cell", "flaky-cell.yaml"}) {
        const Result r = call({"run", "--scenario", name, script}, hooks);
        ASSERT_TRUE(r.ran) << r.err;
        EXPECT_EQ(r.seen.scenario, (shipped / "flaky-cell.yaml").string());
    }
    Result r = call({"run", "--scenario", script, script}, hooks);  // a file wins
    EXPECT_EQ(r.seen.scenario, script);
    for (const char* name : {"nope", "sub/flaky-cell", ""}) {
        r = call({"run", "--scenario", name, script}, hooks);
        EXPECT_FALSE(r.ran) << name;
        EXPECT_EQ(r.status, exit_usage);
        EXPECT_NE(r.err.find("no shipped scenario of that name (`qpysim scenarios` lists them)"),
                  std::string::npos)
            << r.err;
    }
}

TEST(cli_examples, copies_everything_and_overwrites_nothing) {
    const fs::path from = fresh_dir("shipped-examples");
    fs::create_directories(from / "ci" / "tests");
    fs::create_directories(from / "__pycache__");
    std::ofstream(from / "app.py") << "print(1)\n";
    std::ofstream(from / "ci" / "tests" / "test_app.py") << "def test(): pass\n";
    std::ofstream(from / "__pycache__" / "app.cpython-311.pyc") << "x";
    Hooks hooks;
    hooks.examples_dir = from.string();
    const fs::path to = fs::path(::testing::TempDir()) / "my-examples";
    fs::remove_all(to);
    Result r = call({"examples", to.string()}, hooks);
    ASSERT_EQ(r.status, exit_ok) << r.err;
    EXPECT_TRUE(fs::is_regular_file(to / "app.py"));
    EXPECT_TRUE(fs::is_regular_file(to / "ci" / "tests" / "test_app.py"));
    EXPECT_FALSE(fs::exists(to / "__pycache__"));
    // Again: one file is there already, so nothing is copied and each clash is named.
    fs::remove(to / "ci" / "tests" / "test_app.py");
    std::ofstream(to / "app.py") << "mine\n";
    r = call({"examples", to.string()}, hooks);
    EXPECT_EQ(r.status, exit_usage);
    EXPECT_NE(r.err.find((to / "app.py").string()), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(to / "ci" / "tests" / "test_app.py"));
    std::ifstream kept(to / "app.py");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "mine\n");
    r = call({"examples", (from / "app.py").string()}, hooks);
    EXPECT_EQ(r.status, exit_usage);
    EXPECT_NE(r.err.find("is not a folder"), std::string::npos);
}

}  // namespace
}  // namespace qpysim::cli
