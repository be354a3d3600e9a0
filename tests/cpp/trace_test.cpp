#include "qpysim/trace.hpp"

#include <gtest/gtest.h>

#include "qpysim/error.hpp"

namespace qpysim {
namespace {

TEST(trace_event, keys_in_order_with_fixed_time_format) {
    Trace t;
    t.keep_in_memory(true);
    t.emit(TraceEvent(1500ms, "tcp_state").num("sock", 3).str("state", "2=>4").boolean("ok", true));
    ASSERT_EQ(t.lines().size(), 1u);
    EXPECT_EQ(t.lines()[0], R"({"t":1.500000,"ev":"tcp_state","sock":3,"state":"2=>4","ok":true})");
}

TEST(trace_event, strings_are_escaped) {
    std::string out;
    append_json_string(out, "a\"b\\c\nd\x01");
    EXPECT_EQ(out, R"("a\"b\\c\nd\u0001")");
}

TEST(trace_file, unwritable_path_is_a_usage_error) {
    Trace t;
    EXPECT_THROW(t.open("/nonexistent/dir/trace.jsonl"), UsageError);
}

}  // namespace
}  // namespace qpysim
