// libFuzzer target: classification of arbitrary frames arriving on a black port (the first code
// that reads untrusted black bytes), with and without the exception TAP.
#include <cstdint>
#include <vector>

#include "mcsec/dataplane/black_classify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mcsec;
    static const dataplane::ExceptionRules with_tap{
        true, esp::IpAddress::from_v4(std::vector<uint8_t>{239, 192, 0, 1}.data())};
    static const dataplane::ExceptionRules without_tap{false, std::nullopt};
    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> frame(data, data + size);
    const auto a =
        dataplane::classify_black_frame(frame.data(), static_cast<uint32_t>(size), with_tap);
    const auto b =
        dataplane::classify_black_frame(frame.data(), static_cast<uint32_t>(size), without_tap);
    // Without a TAP nothing may go to the kernel; ESP is ESP either way.
    if (b.verdict == dataplane::BlackVerdict::Exception) __builtin_trap();
    if ((a.verdict == dataplane::BlackVerdict::Esp) != (b.verdict == dataplane::BlackVerdict::Esp))
        __builtin_trap();
    return 0;
}
