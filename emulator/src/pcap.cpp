#include "qpysim/pcap.hpp"

#include <algorithm>

#include "qpysim/error.hpp"

namespace qpysim {

namespace {

// pcapng (draft-ietf-opsawg-pcapng): little-endian blocks, 32-bit aligned.
constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescription = 0x00000001;
constexpr std::uint32_t kEnhancedPacket = 0x00000006;
constexpr std::uint16_t kLinkTypeRaw = 101;  // raw IPv4 or IPv6, by the version nibble
constexpr std::uint8_t kTcp = 6, kUdp = 17;

void le16(std::string& s, std::uint16_t v) {
    s.push_back(static_cast<char>(v & 0xff));
    s.push_back(static_cast<char>(v >> 8));
}
void le32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void be16(std::string& s, std::uint16_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
}
void be32(std::string& s, std::uint32_t v) {
    for (int i = 3; i >= 0; --i)
        s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put16(std::string& s, std::size_t at, std::uint16_t v) {
    s[at] = static_cast<char>(v >> 8);
    s[at + 1] = static_cast<char>(v & 0xff);
}

// The Internet checksum (RFC 1071) of `data` added to `sum`.
std::uint32_t sum16(std::string_view data, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < data.size(); i += 2)
        sum += (static_cast<std::uint8_t>(data[i]) << 8) | static_cast<std::uint8_t>(data[i + 1]);
    if (data.size() % 2) sum += static_cast<std::uint8_t>(data.back()) << 8;
    return sum;
}
std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::string address_bytes(const IpAddress& ip, bool v6) {
    if (!v6) {
        const auto b =
            ip.is_v4() ? ip.to_v4().to_bytes()
                       : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6())
                             .to_bytes();
        return std::string(b.begin(), b.end());
    }
    const auto b =
        ip.is_v6()
            ? ip.to_v6().to_bytes()
            : boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, ip.to_v4()).to_bytes();
    return std::string(b.begin(), b.end());
}

void dns_name(std::string& s, std::string_view name) {
    while (!name.empty()) {
        const auto dot = name.find('.');
        const std::string_view label = name.substr(0, dot);
        const auto n = std::min<std::size_t>(label.size(), 63);
        if (n) {
            s.push_back(static_cast<char>(n));
            s.append(label.substr(0, n));
        }
        if (dot == std::string_view::npos) break;
        name.remove_prefix(dot + 1);
    }
    s.push_back('\0');
}

}  // namespace

PacketCapture::PacketCapture(const std::string& path, bool append) : path_(path) {
    out_.open(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    if (!out_) throw UsageError("cannot write the capture file '" + path + "'");
    std::string shb;
    le32(shb, 0x1A2B3C4D);  // byte-order magic
    le16(shb, 1);           // version 1.0
    le16(shb, 0);
    le32(shb, 0xFFFFFFFF);  // section length: not given
    le32(shb, 0xFFFFFFFF);
    le32(shb, 0);  // no options
    block(kSectionHeader, shb);
    std::string idb;
    le16(idb, kLinkTypeRaw);
    le16(idb, 0);
    le32(idb, 0);  // snap length: none
    le32(idb, 0);
    block(kInterfaceDescription, idb);
}

void PacketCapture::block(std::uint32_t type, const std::string& body) {
    std::string b;
    const auto padded = (body.size() + 3) / 4 * 4;
    const auto total = static_cast<std::uint32_t>(12 + padded);
    le32(b, type);
    le32(b, total);
    b += body;
    b.append(padded - body.size(), '\0');
    le32(b, total);
    out_.write(b.data(), static_cast<std::streamsize>(b.size()));
    out_.flush();
}

void PacketCapture::ip_packet(DeviceTime t, const Endpoint& src, const Endpoint& dst,
                              std::uint8_t proto, std::string transport) {
    const bool v6 = src.ip.is_v6() || dst.ip.is_v6();
    const std::string s = address_bytes(src.ip, v6), d = address_bytes(dst.ip, v6);
    // The transport checksum covers a pseudo-header of the addresses.
    std::string pseudo = s + d;
    if (v6) {
        be32(pseudo, static_cast<std::uint32_t>(transport.size()));
        be32(pseudo, proto);
    } else {
        pseudo.push_back('\0');
        pseudo.push_back(static_cast<char>(proto));
        be16(pseudo, static_cast<std::uint16_t>(transport.size()));
    }
    const std::size_t at = proto == kTcp ? 16 : 6;
    std::uint16_t check = fold(sum16(transport, sum16(pseudo)));
    if (proto == kUdp && check == 0) check = 0xffff;
    put16(transport, at, check);
    std::string ip;
    if (v6) {
        be32(ip, 0x60000000);
        be16(ip, static_cast<std::uint16_t>(transport.size()));
        ip.push_back(static_cast<char>(proto));
        ip.push_back(64);  // hop limit
        ip += s + d;
    } else {
        ip.push_back(0x45);
        ip.push_back(0);
        be16(ip, static_cast<std::uint16_t>(20 + transport.size()));
        be16(ip, ip_id_++);
        be16(ip, 0x4000);  // don't fragment
        ip.push_back(64);  // TTL
        ip.push_back(static_cast<char>(proto));
        be16(ip, 0);
        ip += s + d;
        put16(ip, 10, fold(sum16(ip)));
    }
    ip += transport;
    const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(t).count()));
    std::string epb;
    le32(epb, 0);  // interface 0
    le32(epb, static_cast<std::uint32_t>(us >> 32));
    le32(epb, static_cast<std::uint32_t>(us & 0xffffffff));
    le32(epb, static_cast<std::uint32_t>(ip.size()));
    le32(epb, static_cast<std::uint32_t>(ip.size()));
    epb += ip;
    epb.append((4 - ip.size() % 4) % 4, '\0');
    le32(epb, 0);  // no options (opt_endofopt)
    block(kEnhancedPacket, epb);
    ++packets_;
}

void PacketCapture::tcp(DeviceTime t, const Endpoint& src, const Endpoint& dst, const Tcp& h,
                        std::string_view payload) {
    std::string seg;
    be16(seg, src.port);
    be16(seg, dst.port);
    be32(seg, h.seq);
    be32(seg, h.ack);
    seg.push_back(0x50);  // 20-byte header
    seg.push_back(static_cast<char>(h.flags));
    be16(seg, h.window);
    be16(seg, 0);  // checksum, filled in
    be16(seg, 0);  // urgent pointer
    seg.append(payload);
    ip_packet(t, src, dst, kTcp, std::move(seg));
}

void PacketCapture::udp(DeviceTime t, const Endpoint& src, const Endpoint& dst,
                        std::string_view payload) {
    std::string dgram;
    be16(dgram, src.port);
    be16(dgram, dst.port);
    be16(dgram, static_cast<std::uint16_t>(std::min<std::size_t>(8 + payload.size(), 0xffff)));
    be16(dgram, 0);
    dgram.append(payload);
    ip_packet(t, src, dst, kUdp, std::move(dgram));
}

std::string PacketCapture::dns_query(std::uint16_t id, std::string_view name, bool v6) {
    std::string m;
    be16(m, id);
    be16(m, 0x0100);  // a standard query, recursion desired
    be16(m, 1);
    be16(m, 0);
    be16(m, 0);
    be16(m, 0);
    dns_name(m, name);
    be16(m, v6 ? 28 : 1);  // AAAA or A
    be16(m, 1);            // IN
    return m;
}

std::string PacketCapture::dns_answer(std::uint16_t id, std::string_view name, bool v6,
                                      const std::vector<IpAddress>& ips, int rcode) {
    std::vector<IpAddress> fit;
    for (const auto& ip : ips)
        if (ip.is_v6() == v6) fit.push_back(ip);
    std::string m;
    be16(m, id);
    be16(m, static_cast<std::uint16_t>(0x8180 | (fit.empty() ? rcode & 0xf : 0)));
    be16(m, 1);
    be16(m, static_cast<std::uint16_t>(fit.size()));
    be16(m, 0);
    be16(m, 0);
    dns_name(m, name);
    be16(m, v6 ? 28 : 1);
    be16(m, 1);
    for (const auto& ip : fit) {
        be16(m, 0xC00C);  // the name of the question
        be16(m, v6 ? 28 : 1);
        be16(m, 1);
        be32(m, 60);  // TTL
        const std::string a = address_bytes(ip, v6);
        be16(m, static_cast<std::uint16_t>(a.size()));
        m += a;
    }
    return m;
}

}  // namespace qpysim
