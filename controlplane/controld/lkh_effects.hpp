// What the LKH services ask the daemon to do after a call: send datagrams, raise alarms, start a
// MIKE rekey, install a key. The services own no socket, no clock and no shared memory, so the
// daemon stays the one place that touches those (as with RegistrationEffects).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mcsec/config/config.hpp"
#include "mcsec/config/ip_address.hpp"
#include "mcsec/control/lkh/wiped_buffer.hpp"

namespace mcsec::control {

struct LkhEffects {
    struct Unicast {
        std::string to;  // the address a REGISTER came from
        std::vector<std::uint8_t> datagram;
    };
    struct Alarm {
        std::string kind;  // SIGN_FAILED, ACCESS_VIOLATION, KEYS_BEHIND, ...
        std::string group;
        std::string peer;
        std::string detail;
    };
    struct NewKey {  // receiver side: a TEK to install for receiving
        const config::Group* group = nullptr;
        std::uint64_t epoch = 0;
        std::uint32_t spi = 0;
        config::SecretBytes key_and_salt;
    };

    std::vector<std::vector<std::uint8_t>> multicast;  // to the discovery group
    std::vector<Unicast> unicast;
    std::vector<Alarm> alarms;
    std::vector<std::string> log;  // lines for the daemon's log (no key material)
    // Groups whose TEK must change before a revocation can be pushed: the TM starts a MIKE rekey.
    std::vector<config::IpAddress> rekeys;
    std::vector<NewKey> keys;
};

}  // namespace mcsec::control
