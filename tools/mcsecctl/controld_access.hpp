// Reaching the instance's mcsec-controld through its operator API socket, with one message and
// exit status for every command when the daemon is not there.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "commands.hpp"
#include "mcsec/control/api/request.hpp"

namespace mcsec::ctl {

// Exit status of a controld command when mcsec-controld is not running for the instance
// (scripts tell it apart from a failed request, 1, and bad usage, 2).
inline constexpr int kExitControldNotRunning = 3;

struct ControldTarget {
    std::string instance;          // empty when only --socket was given
    std::filesystem::path socket;  // --socket, else /run/mcsec/<instance>.sock
};

// From --socket, --instance or --config's instance; prints why not and returns nullopt.
std::optional<ControldTarget> controld_target(const Args& args);

// Sends `request` to controld. 0 with `result` set when it answered ok; otherwise prints why
// (to stderr) and returns the exit status: 1 refused or failed, 2 usage, 3 not running.
int call_controld(const Args& args, const control::api::Request& request,
                  control::api::Json& result);

// --json output: the result as indented JSON on stdout. Returns 0.
int print_json(const control::api::Json& result);

struct Column;  // json_table.hpp

// The `show` commands whose result is a list: asks controld for `command`, then prints the
// JSON (--json), `empty_text` for an empty list, or a table of `columns`. Returns the exit status.
int show_list(const Args& args, control::api::Command command, std::span<const Column> columns,
              const char* empty_text);

}  // namespace mcsec::ctl
