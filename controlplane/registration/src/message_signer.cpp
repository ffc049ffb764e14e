#include "mcsec/control/registration/message_signer.hpp"

namespace mcsec::control::registration {

Verdict MessageSigner::verify(const ParsedMessage& parsed, idp::WallTime wall_now) const {
    return verdict_for(authenticator_.verify(parsed.message.sender, parsed.message.credential,
                                             parsed.signed_bytes, parsed.signature, wall_now));
}

}  // namespace mcsec::control::registration
