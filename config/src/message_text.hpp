#pragma once

#include <string>
#include <string_view>

namespace mcsec::config {

// 'text' for echoing operator input in an error message: cut short (on a UTF-8 boundary) and with
// control characters escaped, so a hostile file cannot flood or garble a terminal or a log.
std::string quote_for_message(std::string_view text);

}  // namespace mcsec::config
