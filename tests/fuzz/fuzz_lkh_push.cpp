// libFuzzer target: LKH push messages (REKEY, STATE) from the black network, parsed and, when
// they parse, applied to a receiver's keys (no signature check: the structure and the apply
// path must survive anything).
#include <cstddef>
#include <cstdint>
#include <span>

#include "mcsec/control/lkh/push_message.hpp"
#include "mcsec/control/lkh/receiver_keys.hpp"

using namespace mcsec::control::lkh;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ParsedPush parsed;
    if (parse_push(std::span(data, size), parsed) != PushParseError::Ok) return 0;
    const auto shape = TreeShape::of(parsed.content.degree, parsed.content.height);
    if (!shape) __builtin_trap();  // parse_push checked the shape
    const std::vector<std::uint8_t> key(kKekBytes, 0x42);
    auto receiver = ReceiverKeys::create(parsed.content.group_id, *shape,
                                         static_cast<NodeIndex>(shape->first_leaf()), key);
    if (receiver) receiver->apply(parsed.content);
    return 0;
}
