// libFuzzer target: the prefix message parsers on arbitrary stream contents, and the prefix
// exchange fed with them.
#include <cstdint>
#include <vector>

#include "mcsec/control/idp/prefix_exchange.hpp"
#include "mcsec/control/idp/prefix_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace idp = mcsec::control::idp;
    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> bytes(data, data + size);

    // What parses re-encodes byte for byte: the encodings are canonical.
    idp::PrefixAnnouncement announcement;
    if (idp::parse_prefix_announcement(bytes, announcement) == idp::ParseError::Ok) {
        if (idp::encode_prefix_announcement(announcement) != bytes) __builtin_trap();
    }
    idp::PrefixAck ack;
    if (idp::parse_prefix_ack(bytes, ack) == idp::ParseError::Ok) {
        if (idp::encode_prefix_ack(ack) != bytes) __builtin_trap();
    }

    // One long-lived exchange, so that inputs build on each other's state.
    static idp::TimePoint now{};
    static idp::PrefixExchange exchange = [] {
        idp::PrefixExchange fresh("fuzz-self", 1, std::chrono::milliseconds(1000));
        fresh.on_event({idp::IdpEventKind::Join, "bravo", {}, 1}, now);
        return fresh;
    }();
    now += std::chrono::milliseconds(250);
    std::vector<idp::OutgoingMessage> replies;
    const auto verdict = exchange.on_message("bravo", bytes, now, replies);
    if (verdict != idp::PrefixVerdict::Accepted && verdict != idp::PrefixVerdict::Duplicate &&
        !replies.empty()) {
        __builtin_trap();
    }
    (void)exchange.poll(now);
    return 0;
}
