// libFuzzer target: certificate_attributes() on arbitrary bytes. The daemon reads the OUs and
// DNS SANs of every peer's certificate (from its verified hello) to match group access lists;
// whatever the bytes, it must return an answer, never crash or read out of bounds.
#include <cstdint>
#include <vector>

#include "mcsec/control/identity/certificate_attributes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Exactly-sized copy so ASan sees any read past the end.
    const std::vector<uint8_t> der(data, data + size);
    const auto attributes = mcsec::control::identity::certificate_attributes(der);
    if (attributes) {
        for (const auto& ou : attributes->organizational_units) {
            if (ou.size() > size) __builtin_trap();
        }
        for (const auto& name : attributes->dns_names) {
            if (name.size() > size) __builtin_trap();
        }
    }
    return 0;
}
