// mcsecctl: the operator CLI. One file per command; every command takes --json.
// The fast path's counters and SAs are read from the shared-memory region directly (so they
// work while mcsec-controld is down) and the `sa` commands write SAs through the manual-keying
// path; everything about keying asks mcsec-controld over its operator API.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mcsec::ctl {

struct Args {
    std::vector<std::string> words;              // positional words after the command
    std::map<std::string, std::string> options;  // --name value (flags map to "1")
    bool json = false;
    bool has(const std::string& name) const { return options.count(name) != 0; }
    std::string get(const std::string& name) const {
        auto it = options.find(name);
        return it == options.end() ? std::string() : it->second;
    }
};

// Each returns the process exit status: 0 ok, 1 failure, 2 bad usage, and for the commands
// that ask mcsec-controld, 3 when it is not running (controld_access.hpp).
int show_counters(const Args& args);
int show_sa(const Args& args);
int sa_command(const Args& args);  // sa add | switch | retire
// Through mcsec-controld's operator API (docs/protocol/operator-api.md).
int show_status(const Args& args);
int show_peers(const Args& args);
int show_groups(const Args& args);
int show_alarms(const Args& args);
int show_sas(const Args& args);
int show_control_counters(const Args& args);
int rekey(const Args& args);  // rekey [GROUP]
// LKH (lkh_commands.cpp).
int show_receivers(const Args& args);  // show receivers GROUP
int revoke(const Args& args);          // revoke GROUP NODE
int lkh_register(const Args& args);    // lkh-register GROUP

}  // namespace mcsec::ctl
