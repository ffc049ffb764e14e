// How a group's designated sender replicates its key tree to the group's other senders, so the
// next TM continues it (docs/protocol/lkh.md, "Key-server redundancy"). Only over the senders'
// mutually authenticated TLS channel: the frames are not signed (TLS names the peer) and carry
// every key of the tree in the clear inside TLS.
//
// Frame: magic "LS", version 1, 6-byte header (controlplane/wire), unsigned.
//   type 1 CHUNK    group id (u8 length + bytes) | server node id | serial u64 | chunk u16
//                   | chunks u16 | payload: the rest of the frame (1..kChunkBytes bytes)
//   type 2 REVOKED  group id | sender node id | u16 count | node ids: the revocations the sender
//                   knows (sent to a sender that comes up, so revocations given on either side
//                   of a partition hold on both once it heals)
// A replica is the CHUNKs of one serial, in order, concatenated:
//   u16 revoked count | node ids | u32 state length | KeyDistribution::export_state()
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mcsec/control/authenticator.hpp"
#include "mcsec/control/lkh/wiped_buffer.hpp"
#include "mcsec/control/wire/frame.hpp"

namespace mcsec::control::lkh {

inline constexpr std::uint8_t kReplicaMagic0 = 'L';
inline constexpr std::uint8_t kReplicaMagic1 = 'S';
inline constexpr std::size_t kChunkBytes = 60000;
inline constexpr std::size_t kMaxReplicaFrameBytes = 65535;
inline constexpr wire::FrameFormat kReplicaFrameFormat{
    kReplicaMagic0, kReplicaMagic1, 1, 1, 2, kMaxReplicaFrameBytes};
// A replica of at most this many chunks (about 61 MB: a full tree of a million receivers).
inline constexpr std::size_t kMaxReplicaChunks = 1024;

struct TreeReplica {
    std::vector<std::uint8_t> group_id;
    NodeId server;
    std::uint64_t serial = 0;  // grows with every replica the server sends
    std::vector<NodeId> revoked;
    WipedBuffer state;
};

struct RevokedList {
    std::vector<std::uint8_t> group_id;
    NodeId sender;
    std::vector<NodeId> revoked;
};

// Throws std::length_error beyond kMaxReplicaChunks chunks or 65,535 revocations.
std::vector<std::vector<std::uint8_t>> encode_replica(const TreeReplica& replica);
std::vector<std::uint8_t> encode_revoked(const RevokedList& list);
// Structure only; false if `frame` is not a REVOKED frame.
bool parse_revoked(std::span<const std::uint8_t> frame, RevokedList& out);
bool is_replica_frame(std::span<const std::uint8_t> frame) noexcept;

// Puts CHUNK frames back together, one replica in progress per (group, server): a chunk of a
// newer serial drops the older one's, chunks must come in order (TLS keeps them so).
class ReplicaAssembler {
  public:
    enum class Result : std::uint8_t {
        Incomplete,  // more chunks to come
        Complete,    // `out` holds the replica
        Malformed,   // does not parse, or a chunk out of order, or a payload that is not one
        Stale,       // a serial not above the last complete one from that server
    };
    Result add(std::span<const std::uint8_t> frame, TreeReplica& out);

  private:
    struct Partial {
        std::uint64_t serial = 0;
        std::uint16_t chunks = 0;
        std::uint16_t next = 0;
        std::size_t size = 0;
        std::vector<WipedBuffer> pieces;  // one per chunk so far
    };
    std::map<std::pair<std::vector<std::uint8_t>, NodeId>, Partial> partial_;
    std::map<std::pair<std::vector<std::uint8_t>, NodeId>, std::uint64_t> complete_;
};

std::string_view to_string(ReplicaAssembler::Result result) noexcept;

}  // namespace mcsec::control::lkh
