#include "qpysim/profile.hpp"

#include <gtest/gtest.h>

namespace qpysim {
namespace {

TEST(profile_lookup, names_are_case_insensitive_and_unknown_names_list_the_known) {
    EXPECT_EQ(find_module("ec600u").model, "EC600U");
    EXPECT_EQ(find_dialect("MicroPython").name, "micropython");
    try {
        find_module("EC999");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("known: EC600U"), std::string::npos);
    }
}

TEST(profile_modules, limits_and_numbering_from_the_quecpython_faq) {
    EXPECT_EQ(find_module("EC600U").socket_limit, 15);
    EXPECT_EQ(find_module("EC600U").fd_base, 0);
    EXPECT_EQ(find_module("EC200A").socket_limit, 64);
    EXPECT_EQ(find_module("EC600N").fd_base, 3);
    EXPECT_EQ(find_module("BG95").socket_limit, 20);
    EXPECT_EQ(find_module("BG95").af_inet6, 3);
    EXPECT_FALSE(find_module("BG95").has_getsocketsta);
}

TEST(profile_errno, quecpython_numbers) {
    const ErrnoTable t = make_errno_table(default_dialect(), default_module());
    EXPECT_EQ(t[errc::timed_out].number, 110);
    EXPECT_EQ(t[errc::timed_out].name, "ETIMEDOUT");
    EXPECT_EQ(t[errc::would_block].number, 11);
    EXPECT_EQ(t[errc::in_progress].number, 115);
    EXPECT_EQ(t[errc::conn_reset].number, 104);
    EXPECT_EQ(t[errc::conn_refused].number, 104);  // lwIP reports a refused SYN as a reset
    EXPECT_EQ(t[errc::not_connected].number, 107);
    EXPECT_EQ(t[errc::bad_fd].number, 9);
    EXPECT_EQ(t[errc::table_full].number, 23);
    EXPECT_EQ(t[errc::dns_fail].number, -202);
    EXPECT_TRUE(t[errc::dns_fail].name.empty());
}

TEST(profile_errno, micropython_refuses_with_econnrefused) {
    const ErrnoTable t = make_errno_table(find_dialect("micropython"), default_module());
    EXPECT_EQ(t[errc::conn_refused].number, 111);
    EXPECT_EQ(t[errc::conn_refused].name, "ECONNREFUSED");
}

TEST(profile_errno, bg95_uses_qapi_numbers_for_stack_errors) {
    const ErrnoTable t = make_errno_table(default_dialect(), find_module("BG95"));
    EXPECT_EQ(t[errc::conn_reset].number, 8);
    EXPECT_EQ(t[errc::conn_refused].number, 7);
    EXPECT_EQ(t[errc::timed_out].number, 110);  // the firmware's own timeouts stay 110
}

TEST(profile_errno, esp32_uses_newlib_numbers_where_they_differ_from_linux) {
    const ErrnoTable t = make_errno_table(find_dialect("esp32"), default_module());
    EXPECT_EQ(t[errc::timed_out].number, 116);
    EXPECT_EQ(t[errc::in_progress].number, 119);
    EXPECT_EQ(t[errc::not_connected].number, 128);
    EXPECT_EQ(t[errc::is_connected].number, 127);
    EXPECT_EQ(t[errc::would_block].number, 11);  // same in both numberings
    EXPECT_EQ(t[errc::conn_reset].number, 104);
    EXPECT_EQ(t[errc::no_protocol_option].number, 109);
}

TEST(profile_dialects, each_generation_keeps_its_own_shape) {
    const Dialect& q = find_dialect("quecpython");
    const Dialect& q21 = find_dialect("quecpython-2021");
    const Dialect& un = find_dialect("quecpython-unirtos");
    EXPECT_EQ(q.accept_shape, AcceptShape::conn_ip_port);
    EXPECT_EQ(q21.accept_shape, AcceptShape::conn_address);
    EXPECT_TRUE(q21.listen_requires_backlog);
    EXPECT_TRUE(q21.getaddrinfo_empty_on_failure);
    EXPECT_FALSE(q.has_select);
    EXPECT_TRUE(q21.has_select);
    EXPECT_EQ(un.connect_when_connected, errc::is_connected);
    EXPECT_TRUE(un.coarse_socket_state && un.has_getsockopt && un.select_window_inclusive);
    EXPECT_FALSE(find_dialect("micropython").quectel_modules);
    EXPECT_FALSE(find_dialect("micropython").has_getsocketsta);
}

TEST(profile_dialects, constants_are_listed_once_each) {
    for (const auto& d : all_dialects()) {
        for (std::size_t i = 0; i < d.constants.size(); ++i) {
            for (std::size_t j = i + 1; j < d.constants.size(); ++j) {
                EXPECT_NE(d.constants[i].first, d.constants[j].first) << d.name;
            }
        }
        EXPECT_FALSE(d.evidence.empty()) << d.name;
    }
}

TEST(profile_modules, sysname_follows_the_firmware_name) {
    EXPECT_EQ(find_module("EC200U").sysname, "EC200U-CNAA");
    EXPECT_EQ(find_module("BG95").sol_socket, -1);
}

TEST(profile_errno, every_error_has_a_number) {
    for (const auto& d : all_dialects()) {
        for (const auto& m : all_modules()) {
            const ErrnoTable t = make_errno_table(d, m);
            for (std::size_t i = 1; i < kErrcCount; ++i) {
                EXPECT_NE(t[static_cast<errc>(i)].number, 0)
                    << d.name << "/" << m.model << " " << to_string(static_cast<errc>(i));
            }
        }
    }
}

}  // namespace
}  // namespace qpysim
