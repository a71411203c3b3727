#pragma once
// stable_hash: the one hash whose values Parley keeps, so it is fixed here
// forever (never std::hash, which may differ between builds and platforms):
// 64-bit FNV-1a over the bytes, then MurmurHash3's fmix64 finaliser, which
// makes every output bit depend on every input bit (FNV-1a alone leaves
// similar inputs, "node-1#7" and "node-1#8", on nearby values).
//
// It places users on the consistent-hash ring (hash_ring.h: nodes of
// different versions must agree) and chats on message shards
// (store/mariadb/message_shards.h: changing it would move stored chats).
//
// Its own library, parley_stable_hash, on the standard library only, so that
// the store uses it without linking the cluster library's ZooKeeper client.
// A pure function: any thread.

#include <cstdint>
#include <string_view>

namespace parley::cluster {

std::uint64_t stable_hash(std::string_view bytes);

}  // namespace parley::cluster
