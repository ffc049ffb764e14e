// mcsecctl's LKH commands (docs/protocol/lkh.md, "Operator"):
//   show receivers GROUP   on the group's TM: its key tree and admitted receivers; on another
//                          sender: what it knows; on a receiver box: its own registration
//   revoke GROUP NODE      removes receiver NODE from GROUP's key tree (on the TM; on any other
//                          sender it only refuses NODE's registrations there)
//   lkh-register GROUP     a receiver box under EMCON may transmit: register GROUP again
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "controld_access.hpp"
#include "json_table.hpp"

namespace mcsec::ctl {

namespace {

using control::api::Command;
using control::api::Request;

}  // namespace

int show_receivers(const Args& args) {
    if (args.words.size() != 3) {
        std::cerr << "mcsecctl: usage: show receivers GROUP\n";
        return 2;
    }
    Request request{Command::Receivers, args.words[2]};
    Json result;
    if (const int status = call_controld(args, request, result)) return status;
    if (args.json) return print_json(result);
    if (result.value("role", "") == "receiver") {
        static constexpr Column kFields[] = {
            {"group", "group"},   {"phase", "phase"},
            {"sender", "sender"}, {"leaf", "leaf"},
            {"epoch", "epoch"},   {"spi", "spi", render_hex32},
            {"emcon", "emcon"},   {"registers sent", "registers_sent"},
        };
        std::fputs(format_fields(result, kFields).c_str(), stdout);
        return 0;
    }
    static constexpr Column kFields[] = {{"group", "group"},
                                         {"role", "role"},
                                         {"tree", "tree"},
                                         {"tree id", "tree_id"},
                                         {"replica from", "replica_from"},
                                         {"revoked here", "revoked_here"}};
    Json summary = result;
    summary.erase("receivers");
    summary.erase("counters");
    if (const Json& tree = result.value("tree", Json(nullptr)); tree.is_object()) {
        summary["tree"] = "degree " + render_value(tree.value("degree", Json(nullptr))) +
                          ", height " + render_value(tree.value("height", Json(nullptr))) + ", " +
                          render_value(tree.value("capacity", Json(nullptr))) + " leaves";
    }
    std::fputs(format_fields(summary, kFields).c_str(), stdout);
    if (result.contains("counters") && result["counters"].is_object()) {
        std::fputs(format_fields(result["counters"], {}).c_str(), stdout);
    }
    if (!result.contains("receivers") || !result["receivers"].is_array()) {
        std::puts("receivers: - (this box is not the group's TM; ask the TM)");
        return 0;
    }
    static constexpr Column kColumns[] = {{"receiver", "node_id"}, {"leaf", "leaf"}};
    if (result["receivers"].empty()) {
        std::puts("no receivers admitted");
    } else {
        std::fputs(format_table(result["receivers"], kColumns).c_str(), stdout);
    }
    return 0;
}

int revoke(const Args& args) {
    if (args.words.size() != 3) {
        std::cerr << "mcsecctl: usage: revoke GROUP NODE\n";
        return 2;
    }
    Request request{Command::Revoke, args.words[1], args.words[2]};
    Json result;
    if (const int status = call_controld(args, request, result)) return status;
    if (args.json) return print_json(result);
    std::printf("%s %s: %s\n", args.words[1].c_str(), args.words[2].c_str(),
                render_value(result.value("outcome", Json(nullptr))).c_str());
    return 0;
}

int lkh_register(const Args& args) {
    if (args.words.size() != 2) {
        std::cerr << "mcsecctl: usage: lkh-register GROUP\n";
        return 2;
    }
    Request request{Command::LkhRegister, args.words[1]};
    Json result;
    if (const int status = call_controld(args, request, result)) return status;
    if (args.json) return print_json(result);
    std::printf("%s: registering with the group's TM\n", args.words[1].c_str());
    return 0;
}

}  // namespace mcsec::ctl
