// MIKE key-tree cost per membership event (docs/protocol/mike-key-tree.md). The seed paper
// measured 50 ms for a MIKE rekey at 10 members and 80 ms at 50, network included; these are the
// CPU parts of it.
//
//   MikeJoin/Sponsor/<N>      a group of N members, one joins: the joiner (sponsor) refreshes its
//                             leaf and computes and installs its path keys.
//   MikeJoin/Member/<N>       then one existing member, the deepest, computes the new group key
//                             (path walk, check of the published keys, tree hash, HKDF) from
//                             scratch (cold: no path kept from the previous epoch).
//   MikeJoin/MemberWarm/<N>   the same with the path of the previous epoch kept (what members do):
//                             only the steps where its path meets the joiner's are recomputed.
//   MikeJoin/AllMembers/<N>   the whole join on one core, members warm as in the daemon.
//   MikeLeave/Sponsor/<N>     a group of N members, one leaves: the sponsor's refresh and path.
//   MikeLeave/Member/<N>      then the deepest remaining member computes the new group key.
//   MikeLeave/AllMembers/<N>  the whole event on one core: sponsor plus every member's key, i.e.
//                             the CPU the group spends in total (each box does only its share).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "mcsec/control/mike/derivations.hpp"
#include "mcsec/control/mike/key_tree.hpp"
#include "mcsec/control/mike/tree_member.hpp"

namespace mike = mcsec::control::mike;

namespace {

constexpr std::string_view kGroupId = "ff3e::8000:1";
constexpr auto kTransform = mcsec::config::Transform::AesGcm256;

std::span<const std::uint8_t> group_id() {
    return {reinterpret_cast<const std::uint8_t*>(kGroupId.data()), kGroupId.size()};
}

template <typename T>
T must(mike::Result<T> result) {
    if (!result) std::abort();
    return std::move(result).value();
}

struct Group {
    mike::KeyTree tree;
    std::map<std::string, mike::TreeMember> members;

    explicit Group(std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::string id = "node-" + std::to_string(i);
            mike::TreeMember member = must(mike::TreeMember::create(id));
            must(tree.join(id, member.leaf_public_key()));
            (void)must(member.sponsor(tree));
            members.emplace(id, std::move(member));
        }
    }

    // The member whose leaf is deepest: the longest walk, the worst case.
    const mike::TreeMember& deepest(std::string_view except = {}) const {
        const mike::TreeMember* best = nullptr;
        std::size_t best_depth = 0;
        for (const auto& [id, member] : members) {
            if (id == except) continue;
            const std::size_t depth = tree.depth(*tree.find_leaf(id));
            if (best == nullptr || depth > best_depth) {
                best = &member;
                best_depth = depth;
            }
        }
        return *best;
    }
};

void MikeJoinSponsor(benchmark::State& state) {
    const Group group(static_cast<std::size_t>(state.range(0)));
    mike::TreeMember joiner = must(mike::TreeMember::create("joiner"));
    for (auto _ : state) {
        state.PauseTiming();
        mike::KeyTree tree = group.tree;
        must(tree.join(joiner.id(), joiner.leaf_public_key()));
        state.ResumeTiming();
        benchmark::DoNotOptimize(must(joiner.sponsor(tree)));
    }
}

// One member's key after a join; `warm`: its path of the epoch before is kept.
void join_member(benchmark::State& state, bool warm) {
    Group group(static_cast<std::size_t>(state.range(0)));
    mike::TreeMember joiner = must(mike::TreeMember::create("joiner"));
    mike::KeyTree tree = group.tree;
    must(tree.join(joiner.id(), joiner.leaf_public_key()));
    (void)must(joiner.sponsor(tree));
    mike::TreeMember& member = const_cast<mike::TreeMember&>(group.deepest());
    for (auto _ : state) {
        state.PauseTiming();
        member.forget_cached_path();
        if (warm) (void)must(member.group_key(group.tree, group_id(), kTransform));
        state.ResumeTiming();
        benchmark::DoNotOptimize(must(member.group_key(tree, group_id(), kTransform)));
    }
}

void MikeJoinMember(benchmark::State& state) {
    join_member(state, false);
}
void MikeJoinMemberWarm(benchmark::State& state) {
    join_member(state, true);
}

void MikeJoinAllMembers(benchmark::State& state) {
    Group group(static_cast<std::size_t>(state.range(0)));
    for (const auto& [id, member] : group.members) {
        (void)must(member.group_key(group.tree, group_id(), kTransform));  // the epoch before
    }
    mike::TreeMember joiner = must(mike::TreeMember::create("joiner"));
    for (auto _ : state) {
        state.PauseTiming();
        mike::KeyTree tree = group.tree;
        must(tree.join(joiner.id(), joiner.leaf_public_key()));
        state.ResumeTiming();
        (void)must(joiner.sponsor(tree));
        for (const auto& [id, member] : group.members) {
            benchmark::DoNotOptimize(must(member.group_key(tree, group_id(), kTransform)));
        }
        state.PauseTiming();
        for (const auto& [id, member] : group.members) {  // back to the epoch before
            (void)must(member.group_key(group.tree, group_id(), kTransform));
        }
        state.ResumeTiming();
    }
}

void MikeLeaveSponsor(benchmark::State& state) {
    Group group(static_cast<std::size_t>(state.range(0)));
    const std::string leaving = "node-1";
    mike::KeyTree after_leave = group.tree;
    const mike::TreeChange change = must(after_leave.leave(leaving));
    mike::TreeMember& sponsor = group.members.at(change.sponsor);
    for (auto _ : state) {
        state.PauseTiming();
        mike::KeyTree tree = after_leave;
        state.ResumeTiming();
        benchmark::DoNotOptimize(must(sponsor.sponsor(tree)));
    }
}

void MikeLeaveMember(benchmark::State& state) {
    Group group(static_cast<std::size_t>(state.range(0)));
    const std::string leaving = "node-1";
    mike::KeyTree tree = group.tree;
    const mike::TreeChange change = must(tree.leave(leaving));
    (void)must(group.members.at(change.sponsor).sponsor(tree));
    group.members.erase(leaving);
    group.tree = tree;
    mike::TreeMember& member = const_cast<mike::TreeMember&>(group.deepest(change.sponsor));
    for (auto _ : state) {
        state.PauseTiming();
        member.forget_cached_path();  // cold, as MikeJoin/Member
        state.ResumeTiming();
        benchmark::DoNotOptimize(must(member.group_key(tree, group_id(), kTransform)));
    }
}

void MikeLeaveAllMembers(benchmark::State& state) {
    Group group(static_cast<std::size_t>(state.range(0)));
    const std::string leaving = "node-1";
    mike::KeyTree after_leave = group.tree;
    const mike::TreeChange change = must(after_leave.leave(leaving));
    group.members.erase(leaving);
    for (const auto& [id, member] : group.members) {
        (void)must(member.group_key(group.tree, group_id(), kTransform));  // the epoch before
    }
    for (auto _ : state) {
        state.PauseTiming();
        mike::KeyTree tree = after_leave;
        state.ResumeTiming();
        (void)must(group.members.at(change.sponsor).sponsor(tree));
        for (const auto& [id, member] : group.members) {
            benchmark::DoNotOptimize(must(member.group_key(tree, group_id(), kTransform)));
        }
    }
}

}  // namespace

BENCHMARK(MikeJoinSponsor)
    ->Name("MikeJoin/Sponsor")
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(MikeJoinMember)->Name("MikeJoin/Member")->Arg(10)->Arg(50)->Unit(benchmark::kMicrosecond);
BENCHMARK(MikeJoinMemberWarm)
    ->Name("MikeJoin/MemberWarm")
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(MikeJoinAllMembers)->Name("MikeJoin/AllMembers")->Arg(50)->Unit(benchmark::kMillisecond);
BENCHMARK(MikeLeaveSponsor)
    ->Name("MikeLeave/Sponsor")
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(MikeLeaveMember)
    ->Name("MikeLeave/Member")
    ->Arg(10)
    ->Arg(50)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(MikeLeaveAllMembers)
    ->Name("MikeLeave/AllMembers")
    ->Arg(50)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
