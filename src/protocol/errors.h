#pragma once
// The one place where core error codes get their wire names and HTTP statuses.

#include "core/result.h"

namespace parley::protocol {

const char* wire_name(ErrorCode code);
int http_status(ErrorCode code);

}  // namespace parley::protocol
