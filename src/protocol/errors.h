#pragma once
// The one place where core error codes get their wire names and HTTP statuses.

#include "core/result.h"

namespace parley::protocol {

// Error messages may quote client input: on the wire they are always valid
// UTF-8 and at most this long.
inline constexpr std::size_t kMaxErrorMessageBytes = 256;
// A client_msg_id echoed as `ref` must be one a send could have carried.
inline constexpr std::size_t kMaxErrorRefBytes = 128;

// The message of `error` as it may be sent to a client.
std::string wire_message(const Error& error);

const char* wire_name(ErrorCode code);
int http_status(ErrorCode code);

}  // namespace parley::protocol
