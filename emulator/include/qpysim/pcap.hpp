// The device's packets as a capture file (pcapng) Wireshark and tshark open.
//
// The model moves segments and datagrams, not packets, so the capture
// synthesizes them as the module's interface would see them: raw IPv4/IPv6
// (LINKTYPE_RAW) with valid header checksums; TCP with sequence and
// acknowledgement numbers (the link numbers each direction's bytes from an
// initial sequence number of its own), SYN/FIN/RST flags, the advertised
// window, a lost segment sent again as a retransmission; UDP; and DNS
// queries and answers as DNS messages to the data call's DNS server.
// Timestamps are device time since power-on, in microseconds.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "qpysim/address.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

namespace tcp_flag {
constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

class PacketCapture {
  public:
    // Opens (truncates, or appends a new section to) `path`; throws
    // UsageError naming the file when it cannot be written.
    PacketCapture(const std::string& path, bool append);
    PacketCapture(const PacketCapture&) = delete;
    PacketCapture& operator=(const PacketCapture&) = delete;

    struct Tcp {
        std::uint8_t flags = 0;
        std::uint32_t seq = 0;
        std::uint32_t ack = 0;
        std::uint16_t window = 0;
    };
    void tcp(DeviceTime t, const Endpoint& src, const Endpoint& dst, const Tcp& h,
             std::string_view payload);
    void udp(DeviceTime t, const Endpoint& src, const Endpoint& dst, std::string_view payload);

    // A DNS query for `name` (A, or AAAA when `v6`), and its answer: the
    // addresses, or the response code (3 NXDOMAIN, 2 SERVFAIL) when none.
    static std::string dns_query(std::uint16_t id, std::string_view name, bool v6);
    static std::string dns_answer(std::uint16_t id, std::string_view name, bool v6,
                                  const std::vector<IpAddress>& ips, int rcode);

    std::uint64_t packets() const noexcept { return packets_; }

  private:
    void ip_packet(DeviceTime t, const Endpoint& src, const Endpoint& dst, std::uint8_t proto,
                   std::string transport);
    void block(std::uint32_t type, const std::string& body);

    std::ofstream out_;
    std::string path_;
    std::uint64_t packets_ = 0;
    std::uint16_t ip_id_ = 0;
};

}  // namespace qpysim
