// The group policy database's decisions (controlplane/access): every node derives the same role
// for a peer from the same access list, default deny once a member list exists, and an
// attribute rule never admits a node whose certificate is not known yet.
#include <gtest/gtest.h>

#include "mcsec/control/access/group_access.hpp"

namespace mcsec::control::access {
namespace {

using config::AccessPattern;
using Kind = AccessPattern::Kind;

NodeFacts node(std::string id) {
    return NodeFacts{std::move(id), std::nullopt};
}

NodeFacts certified(std::string id, std::vector<std::string> ous, std::vector<std::string> dns) {
    return NodeFacts{std::move(id),
                     identity::CertificateAttributes{std::move(ous), std::move(dns)}};
}

TEST(GroupAccess, OpenGroupMakesEveryoneASender) {
    EXPECT_EQ(role_in(std::nullopt, node("anything")), Role::Sender);
}

TEST(GroupAccess, MemberListDeniesEveryoneNotOnIt) {
    const config::GroupAccess access{{{Kind::NodeId, "enc-*"}, {Kind::NodeId, "hq"}}, std::nullopt};
    EXPECT_EQ(role_in(access, node("enc-1")), Role::Sender);
    EXPECT_EQ(role_in(access, node("hq")), Role::Sender);
    EXPECT_EQ(role_in(access, node("hq2")), Role::Denied);  // globs match the whole id
    EXPECT_EQ(role_in(access, node("xenc-1")), Role::Denied);
    EXPECT_EQ(role_in(access, certified("rogue", {"red"}, {"enc-1"})), Role::Denied);
}

TEST(GroupAccess, SendersListMakesTheOtherMembersReceiveOnly) {
    const config::GroupAccess access{{{Kind::NodeId, "*"}},
                                     std::vector<AccessPattern>{{Kind::NodeId, "hq-?"}}};
    EXPECT_EQ(role_in(access, node("hq-1")), Role::Sender);
    EXPECT_EQ(role_in(access, node("radio-17")), Role::Receiver);
    EXPECT_TRUE(is_member(Role::Receiver));
    EXPECT_TRUE(is_member(Role::Sender));
    EXPECT_FALSE(is_member(Role::Denied));
    EXPECT_FALSE(is_member(Role::Unverified));
    // An empty senders list: a group of receivers that nobody may key (config refuses to start
    // such a node as the only one; the rule itself stays default deny for sending).
    const config::GroupAccess none_send{{{Kind::NodeId, "*"}}, std::vector<AccessPattern>{}};
    EXPECT_EQ(role_in(none_send, node("hq-1")), Role::Receiver);
}

TEST(GroupAccess, CertificateAttributesAdmitOnlyOnceKnown) {
    const config::GroupAccess access{{{Kind::Ou, "red"}, {Kind::DnsName, "*.red.example"}},
                                     std::vector<AccessPattern>{{Kind::Ou, "red-tx"}}};
    // No hello verified yet: neither yes nor no.
    EXPECT_EQ(role_in(access, node("enc-1")), Role::Unverified);
    EXPECT_EQ(role_in(access, certified("enc-1", {"blue"}, {})), Role::Denied);
    EXPECT_EQ(role_in(access, certified("enc-1", {"red"}, {})), Role::Receiver);
    EXPECT_EQ(role_in(access, certified("enc-1", {"blue"}, {"a.red.example"})), Role::Receiver);
    EXPECT_EQ(role_in(access, certified("enc-1", {"red", "red-tx"}, {})), Role::Sender);
    // The OU must match whole: "redish" is not "red".
    EXPECT_EQ(role_in(access, certified("enc-1", {"redish"}, {"red.example"})), Role::Denied);
}

TEST(GroupAccess, ANodeIdRuleDecidesWithoutACertificate) {
    const config::GroupAccess access{{{Kind::NodeId, "hq"}, {Kind::Ou, "red"}}, std::nullopt};
    EXPECT_EQ(role_in(access, node("hq")), Role::Sender);
    EXPECT_EQ(role_in(access, node("enc-1")), Role::Unverified);
    EXPECT_EQ(matches({Kind::Ou, "red"}, node("hq")), Match::Unknown);
    EXPECT_EQ(matches({Kind::NodeId, "h?"}, node("hq")), Match::Yes);
    EXPECT_EQ(matches({Kind::NodeId, "h?"}, node("hqq")), Match::No);
}

TEST(GroupAccess, RolesHaveOperatorNames) {
    EXPECT_EQ(to_string(Role::Denied), "denied");
    EXPECT_EQ(to_string(Role::Unverified), "unverified");
    EXPECT_EQ(to_string(Role::Receiver), "receiver");
    EXPECT_EQ(to_string(Role::Sender), "sender");
}

}  // namespace
}  // namespace mcsec::control::access
