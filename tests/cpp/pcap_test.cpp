// The capture writer: pcapng framing, and packets whose checksums verify.
#include "qpysim/pcap.hpp"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "qpysim/error.hpp"

namespace qpysim {
namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t le32_at(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | static_cast<std::uint8_t>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

// The one's complement sum of `data` (as 16-bit big-endian words) plus `sum`,
// folded: 0xffff when the checksum inside verifies.
std::uint16_t ones_sum(const std::string& data, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < data.size(); i += 2)
        sum += (static_cast<std::uint8_t>(data[i]) << 8) | static_cast<std::uint8_t>(data[i + 1]);
    if (data.size() % 2) sum += static_cast<std::uint8_t>(data.back()) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

Endpoint ep(const char* ip, std::uint16_t port) {
    return Endpoint{*parse_ip(ip), port};
}

TEST(pcap, blocks_are_framed_and_ipv4_tcp_checksums_verify) {
    const std::string path = ::testing::TempDir() + "t.pcapng";
    {
        PacketCapture cap(path, false);
        PacketCapture::Tcp h;
        h.flags = tcp_flag::psh | tcp_flag::ack;
        h.seq = 1000;
        h.ack = 2000;
        h.window = 512;
        cap.tcp(DeviceTime(std::chrono::milliseconds(1500)), ep("10.0.0.2", 5000),
                ep("203.0.113.1", 80), h, "hello");
        EXPECT_EQ(cap.packets(), 1u);
    }
    const std::string f = read_all(path);
    // Section header, interface description, one enhanced packet: lengths agree.
    std::size_t at = 0;
    std::vector<std::uint32_t> types;
    std::size_t pkt_block = 0;
    while (at < f.size()) {
        const std::uint32_t len = le32_at(f, at + 4);
        ASSERT_EQ(len % 4, 0u);
        ASSERT_EQ(le32_at(f, at + len - 4), len);
        types.push_back(le32_at(f, at));
        if (types.back() == 6) pkt_block = at;
        at += len;
    }
    EXPECT_EQ(types, (std::vector<std::uint32_t>{0x0A0D0D0A, 1, 6}));
    EXPECT_EQ(le32_at(f, pkt_block + 16), 1500000u);  // microseconds, low word
    const std::uint32_t caplen = le32_at(f, pkt_block + 20);
    const std::string ip = f.substr(pkt_block + 28, caplen);
    ASSERT_EQ(ip.size(), 20u + 20u + 5u);
    EXPECT_EQ(ip[0], 0x45);
    EXPECT_EQ(ones_sum(ip.substr(0, 20)), 0xffff);  // the IPv4 header checksum
    // TCP: pseudo-header (addresses, protocol, length) plus the segment.
    std::string pseudo = ip.substr(12, 8);
    pseudo += std::string("\0\x06", 2);
    pseudo += std::string("\0\x19", 2);  // 25 bytes
    EXPECT_EQ(ones_sum(ip.substr(20), ones_sum(pseudo)), 0xffff);
    EXPECT_EQ(ip.substr(40), "hello");
}

TEST(pcap, dns_messages_name_the_question_and_the_answers) {
    const std::string q = PacketCapture::dns_query(7, "a.example", false);
    EXPECT_EQ(q.substr(12), std::string("\x01"
                                        "a\x07"
                                        "example\0\0\x01\0\x01",
                                        15));
    const std::string a =
        PacketCapture::dns_answer(7, "a.example", false, {*parse_ip("10.1.2.3")}, 0);
    EXPECT_EQ(static_cast<std::uint8_t>(a[3]) & 0xf, 0);  // NOERROR
    EXPECT_EQ(a[7], 1);                                   // one answer
    EXPECT_EQ(a.substr(a.size() - 4), std::string("\x0a\x01\x02\x03", 4));
    const std::string nx = PacketCapture::dns_answer(8, "b.example", false, {}, 3);
    EXPECT_EQ(static_cast<std::uint8_t>(nx[3]) & 0xf, 3);  // NXDOMAIN
}

TEST(pcap, a_file_that_cannot_be_written_is_named) {
    try {
        PacketCapture cap("/nonexistent-dir/x.pcapng", false);
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.pcapng"), std::string::npos);
    }
}

}  // namespace
}  // namespace qpysim
