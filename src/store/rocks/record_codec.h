#pragma once
// The on-disk byte layout of RocksStore: record values and composite keys.
// Hand-written so the adapter needs no JSON library and stays compact.
//
// Records start with a format version byte; decoders reject versions they do
// not know rather than guess. Strings are u32-length-prefixed, integers are
// fixed-width big-endian. Pure functions: safe on any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/model.h"

namespace parley::rocks {

// Appends fields to a growing byte string.
class ByteWriter {
 public:
  void u8(std::uint8_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void str(std::string_view s);
  // Appends raw bytes, no length: only for the last component of a key.
  void raw(std::string_view s) { out_.append(s); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields written by ByteWriter. Every read fails (returns false) on
// truncated input instead of reading past the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool u8(std::uint8_t& v);
  bool u32(std::uint32_t& v);
  bool u64(std::uint64_t& v);
  bool i64(std::int64_t& v);
  bool str(std::string& s);
  std::string_view rest() const { return in_; }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

// ---- Record values ----------------------------------------------------------

std::string encode_user(const User& user);
std::optional<User> decode_user(std::string_view bytes);

std::string encode_device(const Device& device);
std::optional<Device> decode_device(std::string_view bytes);

std::string encode_chat(const Chat& chat);
std::optional<Chat> decode_chat(std::string_view bytes);

std::string encode_message(const Message& message);
std::optional<Message> decode_message(std::string_view bytes);

std::string encode_push_job(const PushJob& job);
std::optional<PushJob> decode_push_job(std::string_view bytes);

std::string encode_u64(std::uint64_t v);
std::optional<std::uint64_t> decode_u64(std::string_view bytes);

// ---- Keys ---------------------------------------------------------------------
// Every multi-part key length-prefixes all parts but the last, so "ab" and
// "abc" never share a range, and big-endian numbers keep byte order == numeric
// order under RocksDB's bytewise comparator.

// The length-prefixed id: the common prefix of all keys of one chat or user.
std::string id_prefix(std::string_view id);
// The smallest key greater than every key starting with `prefix`; empty when
// there is none (prefix is all 0xff).
std::string prefix_end(std::string_view prefix);

std::string pair_key(std::string_view first, std::string_view second);    // user|device, user|chat, chat|user
std::string direct_key(std::string_view a, std::string_view b);           // min|max, order-insensitive
std::string seq_key(std::string_view chat, std::uint64_t seq_or_offset);  // chat|be64
std::string client_msg_key(std::string_view chat, std::string_view sender, std::string_view client_msg_id);

// The last component of pair_key(first, ...), nullopt if `key` is not one.
std::optional<std::string> pair_key_second(std::string_view key);
// Both components of a pair_key.
std::optional<std::pair<std::string, std::string>> pair_key_parts(std::string_view key);
// The number ending a seq_key.
std::optional<std::uint64_t> seq_key_number(std::string_view key);

}  // namespace parley::rocks
