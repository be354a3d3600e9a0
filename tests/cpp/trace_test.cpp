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

TEST(trace_event, utf8_passes_through_and_other_bytes_are_surrogate_escaped) {
    std::string out;
    append_json_string(out, "\xe6\xb8\xa9\xe5\xba\xa6");  // two Chinese characters
    EXPECT_EQ(out, "\"\xe6\xb8\xa9\xe5\xba\xa6\"");
    out.clear();
    append_json_string(out, "\xe6\xb8\xa9\xe5");  // the second one cut in two
    EXPECT_EQ(out, "\"\xe6\xb8\xa9\\udce5\"");
    out.clear();
    // Overlong '/', a surrogate, past U+10FFFF, a lone continuation byte.
    append_json_string(out, std::string("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\x80\xff"));
    EXPECT_EQ(out, R"("\udcc0\udcaf|\udced\udca0\udc80|\udcf4\udc90\udc80\udc80|\udc80\udcff")");
    out.clear();
    append_json_string(out, "\xf0\x9f\x98\x80 \xc3\xa9");  // 4- and 2-byte forms
    EXPECT_EQ(out, "\"\xf0\x9f\x98\x80 \xc3\xa9\"");
}

TEST(trace_file, unwritable_path_is_a_usage_error) {
    Trace t;
    EXPECT_THROW(t.open("/nonexistent/dir/trace.jsonl"), UsageError);
}

}  // namespace
}  // namespace qpysim
